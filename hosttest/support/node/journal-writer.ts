/**
 * Child process of the kill -9 test (file-journal.test.ts). Replays the
 * journal, then appends records with increasing ids and removes some, in a
 * loop bounded by count and time, reporting on stdout with unbuffered
 * writes:
 *   READY <live> <next id>   after replay
 *   BAD <id>                 a replayed record is not intact
 *   a <id> / A <id>          before / after append returned true
 *   r <id> / R <id>          before / after remove returned true
 *   C <compactions>          when the journal compacted
 * Run: node --import tsx journal-writer.ts <file> <seed>
 */
import { writeSync } from "node:fs";
import { FileJournal } from "../../../src/host/file-journal";
import { isIntact, recordFor } from "./journal-records";

const [file, seedArg] = process.argv.slice(2);
if (!file) throw new Error("usage: journal-writer <file> <seed>");
let seed = (Number(seedArg ?? 1) >>> 0) || 1;
function rnd(): number {
  seed ^= seed << 13;
  seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  seed >>>= 0;
  return seed / 4294967296;
}
const say = (line: string) => writeSync(1, line + "\n");

const journal = new FileJournal(file, { compactMinDeadBytes: 1024 });
const live: number[] = [];
for (const r of journal.replay()) {
  if (!isIntact(r)) say(`BAD ${r.id}`);
  live.push(r.id);
}
let next = journal.highestId() + 1;
say(`READY ${live.length} ${next}`);

const started = Date.now();
let compactions = 0;
for (let op = 0; op < 100_000 && Date.now() - started < 10_000; op++) {
  if (live.length > 0 && rnd() < 0.45) {
    const id = live.splice(Math.floor(rnd() * live.length), 1)[0]!;
    say(`r ${id}`);
    if (journal.remove(id)) say(`R ${id}`);
    else say(`FAIL remove ${id}`);
  } else {
    const id = next++;
    say(`a ${id}`);
    if (journal.append(recordFor(id))) {
      say(`A ${id}`);
      live.push(id);
    } else say(`FAIL append ${id}`);
  }
  if (journal.compactions !== compactions) {
    compactions = journal.compactions;
    say(`C ${compactions}`);
  }
}
journal.close();
say("DONE");
