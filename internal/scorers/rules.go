package scorers

import "regexp"

// Keyword rules for the two cues no public dataset labels. The scorers use
// detectors fitted on the rule-cue set instead (rulecues.go); these stay
// as the baseline the validity table compares the detectors with.
var (
	// permissionRE: the therapist asks leave before advising (MI "advise
	// with permission").
	permissionRE = regexp.MustCompile(`(?i)\b(would it be (ok|okay|alright|all right)|is it (ok|okay|alright|all right) (if|for me)|can i (share|offer|suggest|tell|give)|could i (share|offer|suggest|tell|give)|may i|do you mind if|would you like (some|me to|to hear)|would you be (open|interested))\b`)
	// imminenceRE: a stated plan, means at hand or a time ("tonight", "I
	// have the pills", "this is goodbye").
	imminenceRE = regexp.MustCompile(`(?i)\b(tonight|today|right now|this weekend|tomorrow|goodbye|final (message|note)|said my goodbyes|wrote (a|my) (note|letter)|have (the|a|my) (pills|gun|rope|knife|tablets)|(pills|gun|rope|tablets) (are )?(ready|in front of me|next to me)|(i'?m|i am) (on|at) the (bridge|roof|edge)|(my|a) plan (is|to))\b`)
)

func permissionCue(s string) bool { return s != "" && permissionRE.MatchString(s) }

func imminenceCue(s string) bool { return imminenceRE.MatchString(s) }
