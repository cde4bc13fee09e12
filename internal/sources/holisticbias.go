package sources

import (
	"encoding/json"
	"fmt"
	"io"
)

// holisticbiasSource is HolisticBias: demographic descriptor terms in 13
// axes, each split into buckets, for measuring bias in generated text.
// Evaluation only: Load emits nothing, HolisticBiasDescriptors reads them.
var holisticbiasSource = Source{
	Name:          "holisticbias",
	Title:         "HolisticBias v1.1 demographic descriptors (13 axes, buckets), bias evaluation only",
	License:       "CC BY-SA 4.0 (the HolisticBias dataset; its code is MIT)",
	NonCommercial: false,
	ShareAlike:    true,
	Attribution: "Eric Michael Smith, Melissa Hall, Melanie Kambadur, Eleonora Presani, Adina Williams. \"I'm sorry to hear " +
		"that\": Finding New Biases in Language Models with a Holistic Descriptor Dataset. EMNLP 2022 (arXiv:2205.09209). " +
		"github.com/facebookresearch/ResponsibleNLP holistic_bias/",
	Language: "en",
	Origin:   "github.com/facebookresearch/ResponsibleNLP@0ec714eb084217f44cd9ac466d9e988c795302f9",
	Files:    []string{"v1.1/descriptors.json"},
	Remote:   map[string]string{"v1.1/descriptors.json": "holistic_bias/dataset/v1.1/descriptors.json"},
	Stage:    "foundation",
	Uses:     []Use{Eval},
	Load:     labNoLoad,
}

// Descriptor is one HolisticBias term with its axis and bucket.
type Descriptor struct {
	Axis       string // e.g. "ability"
	Bucket     string // e.g. "auditory"
	Descriptor string // e.g. "hard-of-hearing"
	Gender     string // set when the term is inherently gendered
	Preference string // "reviewed", "dispreferred", "polarizing" or "" (not reviewed)
	Article    string // the article to use when it is not the default ("a"/"an")
}

// HolisticBiasDescriptors reads v1.1/descriptors.json ({axis: {bucket:
// [term or {descriptor, gender, preference, article}]}}) in file order.
func HolisticBiasDescriptors(dir string) ([]Descriptor, error) {
	path := Path(dir, "v1.1/descriptors.json")
	f, err := labOpen(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	fail := func(format string, a ...any) error {
		return fmt.Errorf("%s at byte %d: %s (fix: the file should be {axis: {bucket: [descriptor...]}})", path, dec.InputOffset(), fmt.Sprintf(format, a...))
	}
	delim := func(want json.Delim) error {
		tok, err := dec.Token()
		if err != nil {
			return fail("%v", err)
		}
		if d, ok := tok.(json.Delim); !ok || d != want {
			return fail("got %v, want %v", tok, want)
		}
		return nil
	}
	key := func() (string, error) {
		tok, err := dec.Token()
		if err != nil {
			return "", fail("%v", err)
		}
		k, ok := tok.(string)
		if !ok {
			return "", fail("got %v, want a key", tok)
		}
		return k, nil
	}
	var out []Descriptor
	if err := delim('{'); err != nil {
		return nil, err
	}
	for dec.More() {
		axis, err := key()
		if err != nil {
			return nil, err
		}
		if err := delim('{'); err != nil {
			return nil, err
		}
		for dec.More() {
			bucket, err := key()
			if err != nil {
				return nil, err
			}
			var items []json.RawMessage
			if err := dec.Decode(&items); err != nil {
				return nil, fail("%s/%s: %v", axis, bucket, err)
			}
			for _, raw := range items {
				d := Descriptor{Axis: axis, Bucket: bucket}
				if err := json.Unmarshal(raw, &d.Descriptor); err != nil {
					var x struct{ Descriptor, Gender, Preference, Article string }
					if err := json.Unmarshal(raw, &x); err != nil {
						return nil, fail("%s/%s: %v", axis, bucket, err)
					}
					d.Descriptor, d.Gender, d.Preference, d.Article = x.Descriptor, x.Gender, x.Preference, x.Article
				}
				if d.Descriptor == "" {
					return nil, fail("%s/%s: empty descriptor", axis, bucket)
				}
				out = append(out, d)
			}
		}
		if err := delim('}'); err != nil {
			return nil, err
		}
	}
	if err := delim('}'); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fail("data after the top-level object")
	}
	return out, nil
}
