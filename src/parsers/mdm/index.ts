/**
 * MDM exports and inventory tables, detected from content (never the file name): the one entry
 * point the listing source calls for text that is not a device listing (docs/mdm.md).
 * Order matters: the specific JSON/XML shapes first, then CSV with a known header, then plain id lists.
 */
import { failedTarget, type TargetKind, type TargetResult } from '../../model.js';
import { ParseError } from '../types.js';
import { AMAPI_FORMAT, looksLikeAmapi, parseAmapi } from './amapi.js';
import {
  INTUNE_CSV_FORMAT,
  INTUNE_GRAPH_FORMAT,
  looksLikeIntuneCsv,
  looksLikeIntuneGraph,
  parseIntuneCsv,
  parseIntuneGraph,
} from './intune.js';
import {
  JAMF_JSON_FORMAT,
  JAMF_XML_FORMAT,
  looksLikeJamfJson,
  looksLikeJamfXml,
  parseJamfJson,
  parseJamfXml,
} from './jamf.js';
import { looksLikeInventoryNdjson, NDJSON_FORMAT, parseInventoryNdjson } from './ndjson.js';
import {
  ID_CSV_FORMAT,
  looksLikeIdCsv,
  looksLikePlainList,
  PLAIN_LIST_FORMAT,
  parseIdCsv,
  parsePlainList,
} from './plain.js';

export type MdmFormat =
  | typeof NDJSON_FORMAT
  | typeof AMAPI_FORMAT
  | typeof INTUNE_GRAPH_FORMAT
  | typeof INTUNE_CSV_FORMAT
  | typeof JAMF_XML_FORMAT
  | typeof JAMF_JSON_FORMAT
  | typeof ID_CSV_FORMAT
  | typeof PLAIN_LIST_FORMAT;

type Parse = (text: string, path: string, id: string) => TargetResult[] | undefined;

const FORMATS: ReadonlyArray<readonly [MdmFormat, (head: string) => boolean, Parse]> = [
  [NDJSON_FORMAT, looksLikeInventoryNdjson, parseInventoryNdjson],
  [AMAPI_FORMAT, looksLikeAmapi, parseAmapi],
  [INTUNE_GRAPH_FORMAT, looksLikeIntuneGraph, parseIntuneGraph],
  [JAMF_JSON_FORMAT, looksLikeJamfJson, parseJamfJson],
  [JAMF_XML_FORMAT, looksLikeJamfXml, parseJamfXml],
  [INTUNE_CSV_FORMAT, looksLikeIntuneCsv, parseIntuneCsv],
  [ID_CSV_FORMAT, looksLikeIdCsv, parseIdCsv],
  [PLAIN_LIST_FORMAT, looksLikePlainList, (text, path, id) => [parsePlainList(text, path, id)]],
];

/** Why a text that opens like a JSON document is not one, or undefined when it parses (or is not JSON). */
const brokenJson = (text: string): string | undefined => {
  const t = text.replace(/^\uFEFF/, '').trimStart();
  if (!t.startsWith('{')) return undefined;
  try {
    JSON.parse(t);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
};

/** The MDM/table format of a text (or its first few KB), or undefined. */
export const detectMdm = (head: string): MdmFormat | undefined => {
  for (const [format, looks] of FORMATS) if (looks(head)) return format;
  return undefined;
};

/**
 * Targets of an MDM export or inventory table, or undefined when the text is none of them (the
 * caller then reports it as unrecognised). A file that looks like one but cannot be read is one
 * failed target naming the format.
 */
export const parseMdm = (
  text: string,
  id: string,
  path: string,
  kind: TargetKind,
): TargetResult[] | undefined => {
  const head = text.slice(0, 64 * 1024);
  for (const [format, looks, parse] of FORMATS) {
    if (!looks(head)) continue;
    try {
      const targets = parse(text, path, id);
      if (targets !== undefined && targets.length > 0) return targets;
      // It starts like this JSON export but does not parse: cut short or damaged, say so.
      const broken = brokenJson(text);
      if (broken !== undefined) return [failedTarget(id, kind, `${format}: not valid JSON (${broken})`)];
    } catch (error) {
      const message = error instanceof ParseError || error instanceof Error ? error.message : String(error);
      return [failedTarget(id, kind, `${format}: ${message}`)];
    }
  }
  return undefined;
};
