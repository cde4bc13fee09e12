package scorers

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
)

// readJSONL decodes each non-blank line of a labelled set into a T and
// checks it; errors name the set (name), the line and the fix, pointing to
// doc for the format. strict refuses keys T does not have, and records with
// an "ID" field must have unique ids.
func readJSONL[T any](data []byte, name, doc string, strict bool, id func(*T) string, check func(*T) error) ([]T, error) {
	var out []T
	seen := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var r T
		dec := json.NewDecoder(bytes.NewReader(line))
		if strict {
			dec.DisallowUnknownFields()
		}
		if err := dec.Decode(&r); err != nil {
			return nil, fmt.Errorf("%s line %d: %v (fix: one JSON object per line, see %s)", name, n, err, doc)
		}
		if id != nil {
			k := id(&r)
			switch {
			case k == "":
				return nil, fmt.Errorf("%s line %d: no id (fix: give every record a unique id)", name, n)
			case seen[k] > 0:
				return nil, fmt.Errorf("%s line %d: id %q already on line %d (fix: ids must be unique)", name, n, k, seen[k])
			}
			seen[k] = n
		}
		if err := check(&r); err != nil {
			return nil, fmt.Errorf("%s line %d: %v", name, n, err)
		}
		out = append(out, r)
	}
	return out, sc.Err()
}
