// Package jitsi models Jitsi conference widgets the way Element creates and
// reads them: parsing and validating im.vector.modular.widgets state
// content, making conference and widget IDs, building the state content
// Element sends, building the jitsi.html URL a browser is given (rebuilt
// from a trusted wrapper base and validated data, never the event's url),
// choosing the Jitsi domain, and asking a Jitsi server's
// /.well-known/element/jitsi for its auth mode.
//
// Everything from a widget is hostile: the package never returns a URL
// that is not https, and every value put into a URL is encoded exactly as
// JavaScript's encodeURIComponent would.
package jitsi
