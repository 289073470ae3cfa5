/**
 * Every size, count and work budget that keeps one hostile input from crashing, stalling or
 * flooding a scan. Each limit turns into a clear per-file error (the target fails or is partial with
 * a reason); other targets in the same run are still read and reported.
 *
 * The values sit far above anything a real device produces (a phone has fewer than 3,000
 * packages; its packages.xml is a few MB; its `pm list`/`dumpsys` outputs a few to a few tens of MB)
 * and far below what would push a scan past the README's promise of 5 s and 300 MB per file.
 * Budgets count work (bytes, nodes, steps), never wall-clock time, so results do not depend on the
 * machine.
 */

const MiB = 1024 * 1024;

/**
 * Most apps accepted from one input (a listing, a packages.xml, an inventory). Real phones have
 * fewer than 3,000 packages, shared-user and multi-user listings a few times that; 100,000 leaves a
 * 30x margin while bounding the per-app memory of a scan (reports, verdicts) to tens of MB.
 */
export const MAX_APPS_PER_INPUT = 100_000;

/**
 * Largest text line accepted in a listing. The longest real lines (a `dumpsys package` permission
 * list, an ideviceinstaller XML plist on one line) are a few KB to a few hundred KB; a longer line
 * is not device output, and splitting/regex work on it is what made a 250 MB line cost 1 GB.
 */
export const MAX_LINE_BYTES = 1 * MiB;

/**
 * Most lines in one text listing. A full `dumpsys package` has 100-200 lines per package, so a
 * 3,000-package phone prints under 1,000,000; each line costs the parsers a string and some work.
 */
export const MAX_LISTING_LINES = 2_000_000;

/**
 * Most JSON objects in one JSON input (androidqf packages.json, inventory). A package is a handful
 * of objects (its files, certificates); parsing costs about 290 bytes per object.
 */
export const MAX_JSON_CONTAINERS = 500_000;

/**
 * Largest listing file or XML document read whole. The biggest real ones (a full `dumpsys package`
 * of a 3,000-package phone) are around 10 MB. Reading costs about 5x the input: the bytes, the
 * decoded text (two bytes a character once one character is outside Latin-1), copies of the ids
 * and paths kept, and garbage; measured 330 MB for 64 MB of `pm list -f`, so 32 MB.
 */
export const MAX_DOCUMENT_BYTES = 32 * MiB;

/**
 * Largest packages.xml (text or ABX). A real one holds about 3.7 KB per package (73 packages:
 * 270 KB), so 3,000 packages are ~11 MB. The file, its decoded text and its element tree are all
 * in memory at once (about 2x the file plus ~200 bytes per node), so 32 MB is what 300 MB allows.
 */
export const MAX_PACKAGES_XML_BYTES = 32 * MiB;

/** Largest build.prop read from an image: real ones are a few KB, the largest vendor ones < 100 KB. */
export const MAX_BUILD_PROP_BYTES = 4 * MiB;

/**
 * Most elements + attributes + text nodes in one XML/ABX document. A real packages.xml holds about
 * 150 nodes per package (73 packages: 11,000 nodes), so 3,000 packages are ~450,000 nodes; a
 * node of the element tree costs about 200 bytes, so 1,000,000 nodes are ~200 MB at most.
 */
export const MAX_XML_NODES = 1_000_000;

/**
 * Most children (elements + text) directly under one XML/ABX element. The root of a real
 * packages.xml has one child per package, shared user, permission and key set (< 20,000, twice
 * that counting the whitespace between them); the largest per-package lists have a few hundred.
 * Either cap refusing a file means it is not a real packages.xml.
 */
export const MAX_XML_CHILDREN = 150_000;

/**
 * Binary plists: most bytes of decoded strings and data, counting every reference again (an offset
 * table can point thousands of times at one large string). Real Info.plists are < 1 MB.
 */
export const MAX_PLIST_DECODED_BYTES = 64 * MiB;
/** ... and at most this many times the plist's own size (with a floor for tiny files). */
export const PLIST_DECODED_BYTES_PER_INPUT_BYTE = 8;
export const PLIST_DECODED_BYTES_FLOOR = 1 * MiB;
/** Most values produced from one binary plist, counting shared objects again per reference. */
export const MAX_PLIST_VALUES = 1_000_000;

/**
 * resources.arsc: most entry lookups spent resolving one label (references to references, in
 * every configuration). Real labels resolve in 1-3 lookups per configuration with at most a few
 * hundred configurations.
 */
export const MAX_ARSC_RESOLVE_STEPS = 10_000;

/**
 * Longest rule pattern (package glob or `/regex/`). Rule regexes run on RE2, linear in the value's
 * length, but the compiled program grows with the pattern; real patterns are under 100 characters.
 */
export const MAX_RULE_PATTERN_LENGTH = 512;

/**
 * Largest single read from an APK or IPA (one entry, the central directory, the signing block).
 * Large enough for the biggest real resources.arsc (tens of MB in games); entries have their own,
 * smaller limits (a manifest 16 MB, an Info.plist 8 MB).
 */
export const MAX_SINGLE_READ_BYTES = 96 * MiB;
