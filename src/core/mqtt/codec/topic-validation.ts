/**
 * Syntax rules for topic names (PUBLISH, will) and topic filters
 * (SUBSCRIBE, UNSUBSCRIBE), MQTT 3.1.1 section 4.7. Each check returns null
 * when the topic is valid, else a short reason. U+0000 and the 65535-byte
 * limit are string-level rules checked where strings are encoded/decoded.
 */

const PLUS = 0x2b; // '+'
const HASH = 0x23; // '#'
const SLASH = 0x2f; // '/'

/** Topic names are non-empty [MQTT-4.7.3-1] and contain no wildcard [MQTT-4.7.1-1]. */
export function topicNameProblem(topic: string): string | null {
  if (topic.length === 0) return "topic name is empty";
  // Two native searches instead of a loop over the characters: this runs for every PUBLISH.
  const plus = topic.indexOf("+");
  const hash = topic.indexOf("#");
  if (plus < 0 && hash < 0) return null;
  const i = plus < 0 ? hash : hash < 0 ? plus : Math.min(plus, hash);
  return `wildcard '${topic[i]}' in topic name at ${i}`;
}

/**
 * Topic filters are non-empty [MQTT-4.7.3-1]; '+' must fill a whole level [MQTT-4.7.1-3];
 * '#' must fill a whole level and be the last one [MQTT-4.7.1-2].
 */
export function topicFilterProblem(filter: string): string | null {
  const len = filter.length;
  if (len === 0) return "topic filter is empty";
  for (let i = 0; i < len; i++) {
    const c = filter.charCodeAt(i);
    if (c !== PLUS && c !== HASH) continue;
    const aloneBefore = i === 0 || filter.charCodeAt(i - 1) === SLASH;
    const aloneAfter = i + 1 === len || filter.charCodeAt(i + 1) === SLASH;
    if (!aloneBefore || !aloneAfter) return `wildcard '${filter[i]}' does not fill a level at ${i}`;
    if (c === HASH && i + 1 !== len) return "'#' is not the last level";
  }
  return null;
}
