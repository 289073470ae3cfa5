/**
 * `build.prop` files from an image's partitions: `key=value` lines, `#` comments, and `import`
 * directives (ignored: imported files are read separately when present).
 */

/** Property map of one build.prop; later duplicate keys win, as init applies them. */
export const parseBuildProp = (text: string): Map<string, string> => {
  const props = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('import ')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    if (!/^[\w.:@-]+$/.test(key)) continue;
    props.set(key, line.slice(eq + 1).trim());
  }
  return props;
};
