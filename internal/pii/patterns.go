package pii

import (
	"regexp"
	"strings"
)

// patterns holds the compiled regular expressions for the patterned types.
// Each is compiled once in New and only read afterwards, so a Scrubber is
// safe to share between goroutines (regexp.Regexp is).
type patterns struct {
	email, urlScheme, urlBare             *regexp.Regexp
	handleAt, handleReddit, handleCue     *regexp.Regexp
	phone                                 *regexp.Regexp
	address, apartment, poBox, ukPostcode *regexp.Regexp
	dob                                   *regexp.Regexp
	ssn, card, labelledID                 *regexp.Regexp
}

const (
	// months matches a month name or its abbreviation.
	months = `(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)`
	// dateValue matches the date forms people type; used only after a birth cue.
	dateValue = `(?:\d{4}-\d{1,2}-\d{1,2}` +
		`|\d{1,2}[/.-]\d{1,2}(?:[/.-]\d{2,4})?` +
		`|` + months + `\.?\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?` +
		`|\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?` + months + `\.?(?:,?\s+\d{4})?` +
		`|(?:19|20)\d{2})`
)

// streetSuffixes end a street address: "123 Main Street", "4 Elm Ct".
var streetSuffixes = []string{"street", "st", "avenue", "ave", "road", "rd", "boulevard", "blvd", "lane", "ln", "drive", "dr",
	"court", "ct", "place", "pl", "terrace", "ter", "way", "circle", "cir", "highway", "hwy", "parkway", "pkwy", "square", "sq",
	"close", "crescent", "cres", "trail", "trl", "row", "grove", "gardens", "mews", "alley", "plaza", "loop"}

func compilePatterns() *patterns {
	streetSuffix := "(?:" + strings.Join(streetSuffixes, "|") + ")"
	return &patterns{
		email:     regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}`),
		urlScheme: regexp.MustCompile(`(?i)\b(?:https?://|www\.)[^\s<>"'\[\]{}]+`),
		// A bare domain: known TLD, or any TLD when a path follows.
		urlBare: regexp.MustCompile(`(?i)\b[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*` +
			`(?:\.(com|org|net|edu|gov|io|co|uk|us|ca|au|de|fr|nz|ie|info|biz|ly|tv|me|app|dev|ai|xyz|blog|online|site|gg|in|es|nl)\b(?:/[^\s<>"']*)?` +
			`|\.[a-z]{2,6}/[^\s<>"']*)`),
		handleAt:     regexp.MustCompile(`@[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?`),
		handleReddit: regexp.MustCompile(`/?\bu/[A-Za-z0-9_-]{3,20}`),
		handleCue: regexp.MustCompile(`(?i)\b(?:insta(?:gram)?|ig|snap(?:chat)?|twitter|tiktok|discord|kik|telegram|twitch|reddit|threads|tumblr)` +
			`(?:\s+(handle|username|user\s*name|name|account|id|tag))?(\s*(?:is|:|-|=)\s*)@?([A-Za-z0-9_.]{2,30}[A-Za-z0-9_])`),
		phone: regexp.MustCompile(`(?:\+\d{1,3}(?:[\s.-]?\(?\d{1,8}\)?){1,6}` + // international, with +
			`|(?:1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}` + // NANP
			`|0\d{2,4}[\s.-]?\d{3,4}[\s.-]?\d{3,4}` + // national, leading 0
			`|1?\d{10}` + // bare ten digits
			`|\d{3}[.-]\d{4})`), // local seven digits
		address: regexp.MustCompile(`(?i)\b\d{1,5}[a-z]?((?:\s+(?:[a-z][a-z'.-]*|\d{1,3}(?:st|nd|rd|th))){1,3}?)\s+` + streetSuffix + `\b\.?` +
			`(?:,?\s+(?:apt|apartment|suite|ste|unit|flat|#)\.?\s*#?\d+[a-z]?\b)?` +
			`(?-i:(?:,\s*[A-Z][a-z]+(?:\s[A-Z][a-z]+)?)?(?:,?\s+[A-Z]{2}\b)?(?:\s+(?:\d{5}(?:-\d{4})?|[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b))?)`),
		apartment:  regexp.MustCompile(`(?i)\b(?:apt|apartment|suite|flat)\.?\s*#?\d+[a-z]?\b`),
		poBox:      regexp.MustCompile(`(?i)\bp\.?\s?o\.?\s+box\s+\d+`),
		ukPostcode: regexp.MustCompile(`\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b`),
		dob: regexp.MustCompile(`(?i)\b(?:born|d\.?o\.?b\.?|date\s+of\s+birth|birth\s*date|birthday|b-?day)` +
			`(?:'s)?(?:\s*(?:is|was|on|in|the|:|-|=)\s*)*\s*(` + dateValue + `)\b`),
		ssn:  regexp.MustCompile(`\b\d{3}([- ])\d{2}([- ])\d{4}\b`),
		card: regexp.MustCompile(`\b(?:\d{4}[ -]?\d{6}[ -]?\d{5}|(?:\d{4}[ -]?){3}\d{1,7})\b`),
		labelledID: regexp.MustCompile(`(?i)\b(?:ssn|social\s+security|passport|nhs|mrn|medical\s+record|account|acct|routing|member(?:ship)?|policy|` +
			`licen[cs]e|card|student|employee|patient|customer|insurance|case|reference|ref|tax|id|identification|iban)` +
			`(?:\s+(?:id|number|no\.?|num|#|code))?\s*(?:is|was|:|#|=|-)?\s*(?:is\s+)?` +
			`([A-Z]{0,3}\d[\d -]{3,22}\d[A-Z]?|[A-Z]{1,3}\d{5,12})\b`),
	}
}

// allowedNumbers are public services, not personal data: crisis lines and
// emergency numbers. Toll-free numbers are allowed as a class (tollFree).
var allowedNumbers = map[string]bool{
	"988": true, "911": true, "999": true, "112": true, "111": true, "211": true, "311": true,
	"741741": true, "85258": true, "686868": true, "116123": true, "116111": true, "0800": true,
	"8007997233": true, "8002738255": true, "8006624357": true, "8006564673": true,
	"8664887386": true, "8775658860": true, "8009506264": true, "8008264789": true,
}

// allowedDomains are public mental-health resources; linking them is not PII.
var allowedDomains = []string{
	"988lifeline.org", "suicidepreventionlifeline.org", "crisistextline.org", "samhsa.gov",
	"nami.org", "thetrevorproject.org", "mind.org.uk", "samaritans.org", "befrienders.org",
	"translifeline.org", "rainn.org", "thehotline.org", "nimh.nih.gov", "who.int", "nhs.uk",
	"findahelpline.com", "7cups.com",
}

// publicNumber says whether a digit string is a public service line.
func publicNumber(digits string) bool {
	if allowedNumbers[digits] {
		return true
	}
	d := strings.TrimPrefix(digits, "1")
	if len(d) == 10 && allowedNumbers[d] {
		return true
	}
	if len(d) == 10 { // North American toll-free: businesses and hotlines, not people
		switch d[:3] {
		case "800", "833", "844", "855", "866", "877", "888":
			return true
		}
	}
	// UK and Irish freephone.
	return strings.HasPrefix(digits, "0800") || strings.HasPrefix(digits, "0808") || strings.HasPrefix(digits, "1800")
}

func digitsOf(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b = append(b, s[i])
		}
	}
	return string(b)
}

// luhn reports whether a digit string passes the Luhn check used by card numbers.
func luhn(d string) bool {
	sum, double := 0, false
	for i := len(d) - 1; i >= 0; i-- {
		n := int(d[i] - '0')
		if double {
			if n *= 2; n > 9 {
				n -= 9
			}
		}
		sum += n
		double = !double
	}
	return sum%10 == 0
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// bounded reports whether text[s:e] is not glued to a letter or digit on either side.
func bounded(text string, s, e int) bool {
	return (s == 0 || !isAlnum(text[s-1]) && text[s-1] != '+') && (e == len(text) || !isAlnum(text[e]))
}

// trimURL drops trailing punctuation that closes a sentence rather than the URL.
func trimURL(text string, s, e int) int {
	for e > s && strings.IndexByte(".,;:!?)'\"", text[e-1]) >= 0 {
		e--
	}
	return e
}

func domainAllowed(u string) bool {
	u = strings.ToLower(u)
	for _, p := range []string{"https://", "http://", "www."} {
		u = strings.TrimPrefix(u, p)
	}
	host, _, _ := strings.Cut(u, "/")
	host = strings.TrimPrefix(host, "www.")
	// Government and health-service sites are public resources.
	for _, suf := range []string{".gov", ".gov.uk", ".nhs.uk", ".mil", ".int"} {
		if strings.HasSuffix(host, suf) {
			return true
		}
	}
	for _, d := range allowedDomains {
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return false
}

// ambiguousTLD are TLDs that are also English words, so "at work.in the
// evening" is not a URL; such a bare domain needs a path or a subdomain.
var ambiguousTLD = map[string]bool{"me": true, "in": true, "us": true, "co": true, "es": true, "de": true}

// addressStop are words that cannot sit between a house number and a street
// suffix: "5 miles down the road" is a distance, not an address.
var addressStop = map[string]bool{
	"the": true, "a": true, "an": true, "my": true, "your": true, "our": true, "his": true, "her": true,
	"their": true, "this": true, "that": true, "these": true, "those": true, "down": true, "up": true,
	"on": true, "off": true, "to": true, "from": true, "of": true, "in": true, "at": true, "by": true,
	"per": true, "and": true, "or": true, "across": true, "along": true, "other": true, "same": true,
	"miles": true, "mile": true, "km": true, "kilometers": true, "kilometres": true, "blocks": true,
	"block": true, "minutes": true, "mins": true, "hours": true, "times": true, "more": true, "years": true,
	"days": true, "weeks": true, "different": true, "lanes": true, "way": true, "is": true, "was": true,
}
