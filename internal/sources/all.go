package sources

// registry is every source by name: a plain map you can grep. Each adapter
// file defines its Source value; this table lists them.
var registry = map[string]Source{
	// Conversations for the curriculum
	"esconv":                 esconvSource,
	"counselchat":            counselchatSource,
	"mi_boosting_welivita":   miBoostingWelivitaSource,
	"epitome":                epitomeSource,
	"annomi":                 annomiSource,
	"mibot":                  mibotSource,
	"patient_psi":            patientPsiSource,
	"synthetic_persona_chat": syntheticPersonaChatSource,
	"mentalllama_imhi":       mentalllamaImhiSource,
	// Human labels for the scorers
	"bolt":     boltSource,
	"cams":     camsSource,
	"irf":      irfSource,
	"dreaddit": dreadditSource,
	"sad":      sadSource,
	// Evaluation only
	"cognitive_reframing":       cognitiveReframingSource,
	"mmlu_psych":                mmluPsychSource,
	"mh_exam_mc":                mhExamMcSource,
	"mentalchat16k_evalq":       mentalchat16kEvalqSource,
	"psych8k_counselling_bench": psych8kCounsellingBenchSource,
	"holisticbias":              holisticbiasSource,
	"bbq":                       bbqSource,
}
