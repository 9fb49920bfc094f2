// Package fake is the machinery the fake provider servers (anthropictest,
// difytest) share: a record of requests with waiting, and a server-sent
// events writer that can stall, notice a departed client, and drop the
// connection the way a failing upstream does.
package fake
