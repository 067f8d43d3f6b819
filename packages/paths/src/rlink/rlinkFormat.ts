/**
 * Constants of rustc's `.rlink` format (rustc_codegen_ssa, checked on 1.95
 * stable and 1.97 nightly): magic, big-endian u32 version, the rustc version
 * string, the serialized body, then the footer. A string is its LEB128 byte
 * length, the UTF-8 bytes and a 0xC1 sentinel byte.
 */
export const RLINK_MAGIC: Uint8Array = new TextEncoder().encode('rustlink');
export const RLINK_VERSION = 1;
export const RLINK_FOOTER: Uint8Array = new TextEncoder().encode('rust-end-file');

/** Follows every string; 0xC1 can never occur in UTF-8, so it can't end one early. */
export const STRING_SENTINEL = 0xc1;

/** Where the version number sits: right after the 8-byte magic. */
export const VERSION_OFFSET = RLINK_MAGIC.length;
/** Where the rustc version string starts. */
export const HEADER_STRING_OFFSET = VERSION_OFFSET + 4;

/** Fatal so that bad bytes are found, not replaced; ignoreBOM so that bytes survive. */
export const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
export const utf8Encoder = new TextEncoder();
