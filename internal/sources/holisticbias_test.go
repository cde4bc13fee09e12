package sources

import "testing"

func TestHolisticBiasReal(t *testing.T) {
	ds, err := HolisticBiasDescriptors(labDataDir(t, "holisticbias"))
	if err != nil {
		t.Fatal(err)
	}
	axes := map[string]bool{}
	gendered, dispreferred := 0, 0
	for _, d := range ds {
		axes[d.Axis] = true
		if d.Gender != "" {
			gendered++
		}
		if d.Preference == "dispreferred" {
			dispreferred++
		}
	}
	// DATASETS.md: v1.1 has 583 descriptors in 13 axes.
	if len(ds) != 583 || len(axes) != 13 || gendered == 0 || dispreferred == 0 {
		t.Fatalf("%d descriptors, %d axes, %d gendered, %d dispreferred", len(ds), len(axes), gendered, dispreferred)
	}
	if d := ds[0]; d.Axis != "ability" || d.Bucket != "auditory" || d.Descriptor != "Deaf" || d.Preference != "reviewed" {
		t.Errorf("first descriptor %+v (file order)", d)
	}
}

func TestHolisticBiasMalformed(t *testing.T) {
	for name, body := range map[string]string{
		"not an object": `["Deaf"]`,
		"bad item":      `{"ability": {"auditory": [3]}}`,
		"empty":         `{"ability": {"auditory": [""]}}`,
		"truncated":     `{"ability": {"auditory": ["Deaf"]`,
	} {
		dir := labWrite(t, map[string]string{"v1.1/descriptors.json": body})
		if _, err := HolisticBiasDescriptors(dir); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	dir := labWrite(t, map[string]string{"v1.1/descriptors.json": `{"age": {"young": ["young", {"descriptor": "teen", "article": "a"}]}}`})
	ds, err := HolisticBiasDescriptors(dir)
	if err != nil || len(ds) != 2 || ds[1].Descriptor != "teen" || ds[1].Article != "a" {
		t.Fatalf("%+v %v", ds, err)
	}
}
