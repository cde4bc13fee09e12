package delivery

import (
	"context"
	"fmt"
	"hash/fnv"
	"path/filepath"
	"slices"
	"strings"

	"pixel/internal/record"
	"pixel/internal/sources"
)

// humanSources are the datasets whose assistant turns are real counsellors'
// replies: ESConv's trained supporters and CounselChat's licensed therapists.
var humanSources = []string{"esconv", "counselchat"}

// Reply is one human counsellor reply and the conversation it belongs to,
// so callers can split by conversation (turns of one dialog are alike).
type Reply struct{ ConvID, Source, Text string }

// HumanReplies returns the human counsellor replies under dataRoot: the
// assistant turns of the imported (not derived: provenance of length 1)
// ESConv and CounselChat records, read through the sources registry. ESConv
// dialogs its authors dropped as failed (label quality=failed) are left out:
// they are not the delivery the reference should stand for. Replies come
// sorted by conversation id, in turn order within a conversation.
func HumanReplies(ctx context.Context, dataRoot string) ([]Reply, error) {
	var out []Reply
	for _, name := range humanSources {
		src, err := sources.Get(name)
		if err != nil {
			return nil, err
		}
		dir := filepath.Join(dataRoot, name)
		emit := func(c record.Conversation) error {
			if len(c.Provenance) != 1 || c.Labels["quality"] == "failed" {
				return nil
			}
			for _, m := range c.Messages {
				if m.Role == "assistant" && strings.TrimSpace(m.Content) != "" {
					out = append(out, Reply{ConvID: c.ID, Source: c.Source, Text: m.Content})
				}
			}
			return nil
		}
		// A row the adapter rejects is not a reply; the adapter's own tests
		// cover its rejects.
		reject := func(sources.Rejected) error { return nil }
		if err := src.Load(ctx, dir, emit, reject); err != nil {
			return nil, fmt.Errorf("load %s human replies from %s: %w (fix: `pixel data fetch` the source, or point the data root at the folder holding %s/)", name, dir, err, name)
		}
	}
	slices.SortStableFunc(out, func(a, b Reply) int { return strings.Compare(a.ConvID, b.ConvID) })
	return out, nil
}

// Split returns the replies whose conversation id hashes (FNV-1a 64 of
// ConvID, mod 100) below heldoutPct into heldout, the rest into ref. Every
// reply of a conversation lands on the same side.
func Split(replies []Reply, heldoutPct int) (ref, heldout []Reply) {
	for _, r := range replies {
		if convBucket(r.ConvID) < heldoutPct {
			heldout = append(heldout, r)
		} else {
			ref = append(ref, r)
		}
	}
	return ref, heldout
}

// convBucket is FNV-1a 64 of id, mod 100.
func convBucket(id string) int {
	h := fnv.New64a()
	h.Write([]byte(id))
	return int(h.Sum64() % 100)
}

// Texts returns the replies' texts.
func Texts(replies []Reply) []string {
	out := make([]string, len(replies))
	for i, r := range replies {
		out[i] = r.Text
	}
	return out
}
