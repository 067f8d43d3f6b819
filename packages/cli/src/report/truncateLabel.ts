/** Shortens a label to `max` characters (counting code points) with an ellipsis; SVG text does not wrap. */
export function truncateLabel(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : chars.slice(0, Math.max(1, max - 1)).join('') + '…';
}
