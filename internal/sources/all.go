package sources

// registry is every source by name: a plain map you can grep. Each adapter
// file defines its Source value; this table lists them.
var registry = map[string]Source{}
