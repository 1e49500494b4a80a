package web

// WriteFixture is writeFixture for the browser tests of package web_test.
var WriteFixture = writeFixture
