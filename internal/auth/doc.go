// Package auth generates and verifies the credentials clients present:
// Tencent Cloud IM UserSigs (TLSSigAPIv2, HMAC-SHA256).
//
// A UserSig is a small JSON object
//
//	{"TLS.ver":"2.0","TLS.identifier":"alice","TLS.sdkappid":1400000000,
//	 "TLS.time":1700000000,"TLS.expire":86400,"TLS.sig":"<base64 HMAC>"}
//
// (plus an optional "TLS.userbuf", standard Base64, used only by TRTC), zlib-
// compressed, standard-Base64 encoded, with '+', '/' and '=' replaced by '*',
// '-' and '_' so it can travel in a URL unescaped. TLS.sig is the standard
// Base64 of HMAC-SHA256 under the app's secret key (its raw bytes) over the
// lines "TLS.identifier:…", "TLS.sdkappid:…", "TLS.time:…", "TLS.expire:…" and,
// only when a userbuf is present, "TLS.userbuf:…", each ending in "\n".
//
// Compression output differs between zlib builds and key order between
// libraries, so two valid UserSigs for the same claims need not be equal
// strings: this package compares decoded fields, never UserSig text.
package auth
