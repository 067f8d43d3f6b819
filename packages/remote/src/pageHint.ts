/**
 * What a record or blob body that fails its checks says of its cause, when it is an HTML page:
 * a server (an `error_page 404 =200`, a fallback route) or a proxy (a login portal) that answers
 * `200` with a page for what it lacks. The line said only `not an AC envelope` or `does not match
 * its digest`, as for a damaged file, and such a server's HEAD `200` for every blob keeps writers
 * from uploading any (a helper's nginx run: 5 uploads, 0 blobs on the server). Empty otherwise.
 */
export function pageHint(body: Uint8Array): string {
  const head = Buffer.from(body.buffer, body.byteOffset, Math.min(body.length, 1024)).toString('latin1').trimStart();
  if (!/^<(!doctype html|html|head|body|title|h1)\b/i.test(head)) return '';
  return `: an HTML page (a server or proxy that answers 200 with a page for what it lacks, an error_page or a login portal? Its 200 to every HEAD keeps writers from uploading blobs)`;
}
