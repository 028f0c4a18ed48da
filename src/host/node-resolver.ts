/**
 * The name resolution port over Node's dns.lookup (IPv4, the system
 * resolver, like Net.resolve on the device). Dotted IPv4 literals come back
 * unchanged. Failures answer null; nothing throws out.
 */
import dns from "node:dns";
import type { ResolverPort } from "../core/clock/clock-ports";

export const nodeResolver: ResolverPort = {
  resolve(name, done) {
    dns.lookup(name, { family: 4 }, (err, address) => done(err || typeof address !== "string" ? null : address));
  },
};
