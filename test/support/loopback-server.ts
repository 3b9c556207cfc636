import type { Server } from "node:net";

/**
 * Starts `server` on a free loopback port. `close` ends its open connections too, so that a
 * kept-alive client cannot hold a test's teardown open.
 */
export async function listenOnLoopback(
  server: Server & { closeAllConnections?: () => void },
): Promise<{ port: number; close: () => Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no TCP address");
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
