// Package web holds the dashboard's embedded assets: the html/template
// pages under templates/ and the stylesheet, script and icon under
// static/. Package dashboard renders and serves them; nothing here runs
// at build time, so the binary needs no Node toolchain and the pages load
// nothing from outside the server.
package web
