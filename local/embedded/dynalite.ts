import dynalite from "dynalite";

export interface EmbeddedDynalite {
  readonly endpoint: string;
  close(): Promise<void>;
}

/** An in-memory DynamoDB on a free local port; tables are ACTIVE as soon as they are created. */
export const startDynalite = async (): Promise<EmbeddedDynalite> => {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === "string") {
    server.close();
    throw new Error(`dynalite is not listening on a TCP port (address: ${String(address)})`);
  }

  const close = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      // SDK clients keep sockets alive; without this, close waits for them to time out.
      server.closeAllConnections();
    });

  return { endpoint: `http://127.0.0.1:${address.port}`, close };
};
