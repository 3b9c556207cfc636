import { portOneDescriptor } from "./portone/descriptor.ts";
import { referenceDescriptor } from "./reference/descriptor.ts";
import { tossDescriptor } from "./toss/descriptor.ts";

/** Every gateway paysync speaks, by `PG_PROVIDER`. A new gateway is a folder and a line here. */
export const GATEWAY_DESCRIPTORS = {
  reference: referenceDescriptor,
  toss: tossDescriptor,
  portone: portOneDescriptor,
} as const;

export type ProviderName = keyof typeof GATEWAY_DESCRIPTORS;

export const PROVIDERS = Object.keys(GATEWAY_DESCRIPTORS) as readonly ProviderName[];
