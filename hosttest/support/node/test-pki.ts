/**
 * A throwaway PKI made with openssl at run time, for the TLS suites: a CA, a
 * server certificate for 127.0.0.1 (subjectAltName IP), one for another host
 * name signed by the same CA, an unrelated CA, and a client certificate with
 * its key in PKCS#8. RSA 2048 throughout: the Moddable SDK's TLS signs a
 * client's CertificateVerify with PKCS#1 v1.5 only.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

export interface TestPki {
  dir: string;
  /** PEM files for mosquitto (and Node's TLS). */
  caCrt: string;
  otherCaCrt: string;
  serverCrt: string;
  /** The server's certificate followed by the CA's: the chain a broker sends. */
  serverChain: string;
  serverKey: string;
  otherHostCrt: string;
  otherHostChain: string;
  otherHostKey: string;
  /** One-line base64 DER, as the firmware's brokerCa / brokerCert / brokerKey settings take them. */
  caDer64: string;
  otherCaDer64: string;
  clientCertDer64: string;
  clientKeyDer64: string;
}

export function makeTestPki(openssl: string, dir: string): TestPki {
  const run = (args: string[]) => execFileSync(openssl, args, { cwd: dir, stdio: "pipe" });
  const rsa = ["-newkey", "rsa:2048", "-nodes"];
  const caExt = ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"];
  run(["req", "-x509", ...rsa, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=paycard test CA", ...caExt]);
  run(["req", "-x509", ...rsa, "-keyout", "other-ca.key", "-out", "other-ca.crt", "-days", "2", "-subj", "/CN=someone else's CA", ...caExt]);
  const leaf = (name: string, san: string, usage: string) => {
    run(["req", ...rsa, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name}`]);
    writeFileSync(path.join(dir, `${name}.cnf`), `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=${usage}\n`);
    run(["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", `${name}.crt`, "-days", "2", "-extfile", `${name}.cnf`]);
  };
  leaf("server", "IP:127.0.0.1", "serverAuth");
  leaf("other-host", "DNS:broker.example.com", "serverAuth");
  leaf("client", "DNS:terminal.example.com", "clientAuth");
  const der64 = (args: string[]) => execFileSync(openssl, args, { cwd: dir }).toString("base64");
  run(["pkcs8", "-topk8", "-nocrypt", "-in", "client.key", "-outform", "DER", "-out", "client.key.der"]);
  const ca = readFileSync(path.join(dir, "ca.crt"), "utf8");
  for (const name of ["server", "other-host"]) writeFileSync(path.join(dir, `${name}-chain.crt`), readFileSync(path.join(dir, `${name}.crt`), "utf8") + ca);
  return {
    dir,
    caCrt: path.join(dir, "ca.crt"),
    otherCaCrt: path.join(dir, "other-ca.crt"),
    serverCrt: path.join(dir, "server.crt"),
    serverChain: path.join(dir, "server-chain.crt"),
    serverKey: path.join(dir, "server.key"),
    otherHostCrt: path.join(dir, "other-host.crt"),
    otherHostChain: path.join(dir, "other-host-chain.crt"),
    otherHostKey: path.join(dir, "other-host.key"),
    caDer64: der64(["x509", "-in", "ca.crt", "-outform", "DER"]),
    otherCaDer64: der64(["x509", "-in", "other-ca.crt", "-outform", "DER"]),
    clientCertDer64: der64(["x509", "-in", "client.crt", "-outform", "DER"]),
    clientKeyDer64: readFileSync(path.join(dir, "client.key.der")).toString("base64"),
  };
}
