/** The topics of one terminal: <prefix>/<terminal>/<leaf>. */
export interface TerminalTopics {
  tx: string;
  alerts: string;
  late: string;
  rejects: string;
  metrics: string;
  /** Retained "online"/"offline" (the Last Will). */
  status: string;
}

export function terminalTopics(prefix: string, terminalId: string): TerminalTopics {
  const base = prefix + "/" + terminalId + "/";
  return {
    tx: base + "tx",
    alerts: base + "alerts",
    late: base + "late",
    rejects: base + "rejects",
    metrics: base + "metrics",
    status: base + "status",
  };
}
