package pii

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// template is a sentence fragment with one "{v}" slot for a synthetic value
// of its type. lower: the whole fragment may be written in lowercase, as
// much mental-health text is.
type template struct {
	typ, text string
	gen       func(*synth) string
	lower     bool
}

// templates are written to read like what people type. Name templates range
// from strong cues ("my name is {v}") through weak ones ("I miss {v} so
// much") to none ("without {v} I would be lost"), so name recall is not only
// measured on easy cases. The patterned formats are the author's as much as
// the patterns are: their recall is an upper bound for formats in the wild.
var templates = []template{
	{Email, "you can email me at {v}", (*synth).email, false},
	{Email, "my email is {v} if that helps", (*synth).email, false},
	{Email, "I sent it to {v} last night", (*synth).email, false},
	{Email, "({v})", (*synth).email, false},
	{Phone, "call me at {v}", (*synth).phone, false},
	{Phone, "my number is {v}", (*synth).phone, false},
	{Phone, "text me on {v} anytime", (*synth).phone, false},
	{Phone, "her cell is {v}", (*synth).phone, false},
	{Phone, "{v} is my work line", (*synth).phone, false},
	{URL, "check out {v}", (*synth).url, false},
	{URL, "I found this at {v} and it helped", (*synth).url, false},
	{URL, "my blog is {v}", (*synth).url, false},
	{URL, "{v} has a good article on this", (*synth).url, false},
	{Handle, "follow me on insta {v}", (*synth).handleAt, false},
	{Handle, "my reddit is {v}", (*synth).handleReddit, false},
	{Handle, "DM me {v}", (*synth).handleAt, false},
	{Handle, "add me on snapchat: {v}", (*synth).handleBare, false},
	{Handle, "my tiktok is {v}", (*synth).handleAt, false},
	{Address, "I live at {v}", (*synth).address, true},
	{Address, "my address is {v}", (*synth).address, true},
	{Address, "we moved to {v} last year", (*synth).address, true},
	{Address, "he showed up at {v} again", (*synth).address, false},
	{DOB, "I was born on {v}", (*synth).dateNumeric, false},
	{DOB, "my DOB is {v}", (*synth).dateAny, false},
	{DOB, "date of birth: {v}", (*synth).dateAny, false},
	{DOB, "my birthday is {v}", (*synth).dateWords, true},
	{DOB, "I was born {v}", (*synth).dateWords, false},
	{DOB, "born in {v}", (*synth).year, false},
	{DOB, "DOB - {v}", (*synth).dateShortYear, false},
	{ID, "my SSN is {v}", (*synth).ssn, false},
	{ID, "my card number is {v}", (*synth).card, false},
	{ID, "they charged {v} twice", (*synth).card, false},
	{ID, "account number: {v}", (*synth).account, false},
	{ID, "my passport number is {v}", (*synth).passport, false},
	{ID, "NHS number {v}", (*synth).nhs, false},
	{ID, "MRN {v}", (*synth).account, false},
	{ID, "SSN: {v}", (*synth).ssnSpaced, false},
	{ID, "acct # {v}", (*synth).account, false},
	{ID, "driver's license {v}", (*synth).passport, false},
	{ID, "my student ID is {v}", (*synth).account, false},
	{Name, "my name is {v}", (*synth).first, true},
	{Name, "I'm {v}, by the way", (*synth).first, true},
	{Name, "call me {v}", (*synth).first, true},
	{Name, "my sister {v} said I should talk to someone", (*synth).first, true},
	{Name, "my husband {v} doesn't understand", (*synth).first, true},
	{Name, "my best friend {v} moved away", (*synth).first, true},
	{Name, "my son {v} is struggling at school", (*synth).first, true},
	{Name, "I talked to {v} about it yesterday", (*synth).first, false},
	{Name, "{v} and I had a huge fight", (*synth).first, false},
	{Name, "{v} told me to reach out", (*synth).first, false},
	{Name, "my boss, {v}, keeps yelling at me", (*synth).full, false},
	{Name, "my therapist Dr. {v} suggested journaling", (*synth).last, false},
	{Name, "Hi {v}, thanks for listening", (*synth).first, true},
	{Name, "thank you {v}", (*synth).first, true},
	{Name, "I miss {v} so much", (*synth).first, false},
	{Name, "me and {v} broke up last week", (*synth).first, false},
	{Name, "I went to see Mr. {v} at school", (*synth).last, false},
	{Name, "{v} from work keeps texting me", (*synth).full, false},
	{Name, "I keep thinking about {v}", (*synth).first, false},
	{Name, "I texted {v} but she never replied", (*synth).first, false},
	{Name, "my girlfriend's name is {v}", (*synth).first, true},
	{Name, "without {v} I would be lost", (*synth).first, false},
	{Name, "{v}, if you read this, I'm sorry", (*synth).first, false},
}

// synth draws synthetic values from a seeded generator. Names come from the
// eval lists, which are disjoint from the scrubber's gazetteer.
type synth struct {
	rng                   *rand.Rand
	firstNames, lastNames []string
}

func (s *synth) pick(xs []string) string { return xs[s.rng.IntN(len(xs))] }
func (s *synth) digits(n int) string {
	var b strings.Builder
	for range n {
		b.WriteByte(byte('0' + s.rng.IntN(10)))
	}
	return b.String()
}
func (s *synth) num(lo, hi int) int { return lo + s.rng.IntN(hi-lo+1) }
func title(w string) string         { return strings.ToUpper(w[:1]) + w[1:] }

func (s *synth) first() string { return title(s.pick(s.firstNames)) }
func (s *synth) last() string  { return title(s.pick(s.lastNames)) }
func (s *synth) full() string  { return s.first() + " " + s.last() }

func (s *synth) email() string {
	f, l := s.pick(s.firstNames), s.pick(s.lastNames)
	local := s.pick([]string{f + "." + l, f + l[:1], f + s.digits(2), f[:1] + "_" + l, l + "+notes", title(f) + "." + title(l), f + "-" + l + s.digits(4)})
	return local + "@" + s.pick([]string{"gmail.com", "yahoo.com", "outlook.com", "hotmail.co.uk", "icloud.com",
		"protonmail.com", "aol.com", "web.de", "gmx.net", "mail.utoronto.ca", "students.example.edu", "company-name.org", "GMAIL.COM", "mail2.example.co.nz"})
}

func (s *synth) phone() string {
	area := func() int { // not toll-free, not starting with 0 or 1
		for {
			if a := s.num(201, 989); a%100 != 11 && a != 800 && a != 888 && a != 877 && a != 866 && a != 855 && a != 844 && a != 833 {
				return a
			}
		}
	}
	ex, line := s.num(200, 999), s.digits(4)
	switch s.rng.IntN(20) {
	case 12:
		return fmt.Sprintf("+1-%d-%d-%s", area(), ex, line)
	case 13:
		return fmt.Sprintf("(%d)%d-%s", area(), ex, line)
	case 14:
		return fmt.Sprintf("%d %d %s", area(), ex, line)
	case 15:
		return fmt.Sprintf("1 (%d) %d-%s", area(), ex, line)
	case 16:
		return fmt.Sprintf("+44 (0)20 %s %s", s.digits(4), s.digits(4))
	case 17:
		return fmt.Sprintf("04%s %s %s", s.digits(2), s.digits(3), s.digits(3))
	case 18:
		return fmt.Sprintf("+353 8%d %s %s", s.num(3, 9), s.digits(3), s.digits(4))
	case 19:
		return fmt.Sprintf("+234 80%d %s %s", s.num(2, 9), s.digits(3), s.digits(4))
	case 0:
		return fmt.Sprintf("(%d) %d-%s", area(), ex, line)
	case 1:
		return fmt.Sprintf("%d-%d-%s", area(), ex, line)
	case 2:
		return fmt.Sprintf("%d.%d.%s", area(), ex, line)
	case 3:
		return fmt.Sprintf("+1 %d %d %s", area(), ex, line)
	case 4:
		return fmt.Sprintf("%d%d%s", area(), ex, line)
	case 5:
		return fmt.Sprintf("+44 7%s %s", s.digits(3), s.digits(6))
	case 6:
		return fmt.Sprintf("07%s %s", s.digits(3), s.digits(6))
	case 7:
		return fmt.Sprintf("+44 20 %s %s", s.digits(4), s.digits(4))
	case 8:
		return fmt.Sprintf("+91 9%s %s", s.digits(4), s.digits(5))
	case 9:
		return fmt.Sprintf("+61 4%s %s %s", s.digits(2), s.digits(3), s.digits(3))
	case 10:
		return fmt.Sprintf("+33 6 %s %s %s %s", s.digits(2), s.digits(2), s.digits(2), s.digits(2))
	}
	return fmt.Sprintf("%d-%s", ex, line)
}

var siteWords = []string{"healing", "journey", "calm", "notes", "mind", "daily", "quiet", "story", "light", "path", "sunrise", "space"}

func (s *synth) url() string {
	a, b, l := s.pick(siteWords), s.pick(siteWords), s.pick(s.lastNames)
	switch s.rng.IntN(11) {
	case 7:
		return fmt.Sprintf("HTTPS://%s%s.com/%s", title(a), title(b), title(l))
	case 8:
		return fmt.Sprintf("https://%s.%s.org/a/%s?x=%d&y=2#top", a, l, b, s.num(1, 99))
	case 9:
		return fmt.Sprintf("%s-%s.co.uk", l, a)
	case 10:
		return fmt.Sprintf("youtube.com/watch?v=%s%s", l[:min(4, len(l))], s.digits(3))
	case 0:
		return fmt.Sprintf("https://www.%s%s.com/%s", a, b, l)
	case 1:
		return fmt.Sprintf("http://%s.net/posts/%d", l, s.num(1, 999))
	case 2:
		return fmt.Sprintf("www.%s-%s.org", a, l)
	case 3:
		return fmt.Sprintf("%s%s.com/blog/%s", l, a, b)
	case 4:
		return fmt.Sprintf("https://%s.blogspot.com", l)
	case 5:
		return "bit.ly/" + s.digits(2) + l[:min(3, len(l))] + b
	}
	return fmt.Sprintf("linktr.ee/%s_%s", l, a)
}

func (s *synth) handleBare() string {
	f, l := s.pick(s.firstNames), s.pick(s.lastNames)
	return s.pick([]string{f + "_" + l, f + s.digits(2), f + "." + l, l + "_" + s.digits(3), title(f) + "." + title(l), f + "_"})
}
func (s *synth) handleAt() string { return "@" + s.handleBare() }
func (s *synth) handleReddit() string {
	return s.pick([]string{"u/", "/u/"}) + s.pick([]string{s.pick(s.firstNames) + "_" + s.pick(siteWords), "throwaway" + s.digits(4), s.pick(s.lastNames) + s.digits(2), title(s.pick(s.lastNames)) + "-" + title(s.pick(siteWords))})
}

var streetNames = []string{"Main", "Oak", "Maple", "Elm", "Cedar", "Pine", "Park", "Lake", "Hill", "Sunset", "Church", "Mill", "Highland", "Chestnut", "North Main", "Old Mill"}

func (s *synth) address() string {
	street := s.pick(streetNames)
	if s.rng.IntN(2) == 0 {
		street = s.last() // a street named after someone, unknown to the scrubber
	}
	suffix := s.pick([]string{"Street", "St", "St.", "Avenue", "Ave", "Road", "Rd", "Lane", "Ln", "Drive", "Dr", "Boulevard", "Blvd", "Court", "Way", "Place", "Terrace"})
	a := fmt.Sprintf("%d %s %s", s.num(1, 9999), street, suffix)
	switch s.rng.IntN(8) {
	case 5:
		return fmt.Sprintf("%d %s Avenue", s.num(1, 999), s.pick([]string{"5th", "2nd", "3rd", "41st", "10th"}))
	case 6:
		a = fmt.Sprintf("%d%c %s %s", s.num(1, 300), 'A'+rune(s.rng.IntN(3)), street, suffix)
	case 7:
		a += fmt.Sprintf(" #%d", s.num(1, 900))
	case 0:
		a += fmt.Sprintf(", Apt %d", s.num(1, 40))
	case 1:
		a += fmt.Sprintf(" Apt %d%c", s.num(1, 30), 'A'+rune(s.rng.IntN(6)))
	case 2:
		a += fmt.Sprintf(", %s, %s %s", s.pick([]string{"Springfield", "Riverside", "Fairview", "Salem", "Georgetown"}), s.pick([]string{"OH", "CA", "TX", "NY", "OR"}), s.digits(5))
	case 3:
		return fmt.Sprintf("Flat %d, %d %s Road, London %s", s.num(1, 20), s.num(1, 300), s.last(), s.pick([]string{"SW1A 1AA", "E8 3PN", "N1 9GU", "SE15 4QL"}))
	}
	return a
}

var monthNames = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}

func (s *synth) dateNumeric() string {
	d, m, y := s.num(1, 28), s.num(1, 12), s.num(1950, 2008)
	return s.pick([]string{fmt.Sprintf("%d/%d/%d", m, d, y), fmt.Sprintf("%02d-%02d-%d", d, m, y), fmt.Sprintf("%d-%02d-%02d", y, m, d), fmt.Sprintf("%d.%d.%d", d, m, y)})
}
func (s *synth) dateWords() string {
	d, mo, y := s.num(1, 28), s.pick(monthNames), s.num(1950, 2008)
	th := "th"
	switch d {
	case 1, 21:
		th = "st"
	case 2, 22:
		th = "nd"
	case 3, 23:
		th = "rd"
	}
	return s.pick([]string{fmt.Sprintf("%s %d, %d", mo, d, y), fmt.Sprintf("%d %s %d", d, mo, y), fmt.Sprintf("%s %d%s", mo, d, th), fmt.Sprintf("the %d%s of %s", d, th, mo),
		fmt.Sprintf("%d%s %s %d", d, th, mo, y), fmt.Sprintf("%s. %d%s, %d", mo[:3], d, th, y), fmt.Sprintf("the %d%s of %s, %d", d, th, mo, y)})
}
func (s *synth) dateShortYear() string {
	return s.pick([]string{fmt.Sprintf("%02d.%02d.%d", s.num(1, 28), s.num(1, 12), s.num(1950, 2008)), fmt.Sprintf("%02d/%02d/%02d", s.num(1, 12), s.num(1, 28), s.num(0, 99))})
}
func (s *synth) dateAny() string {
	if s.rng.IntN(2) == 0 {
		return s.dateNumeric()
	}
	return s.dateWords()
}
func (s *synth) year() string { return fmt.Sprint(s.num(1950, 2008)) }

func (s *synth) ssn() string {
	return fmt.Sprintf("%03d-%02d-%s", s.num(1, 665), s.num(1, 99), s.digits(4))
}
func (s *synth) ssnSpaced() string {
	return s.pick([]string{fmt.Sprintf("%03d %02d %s", s.num(1, 665), s.num(1, 99), s.digits(4)), fmt.Sprintf("%03d%02d%s", s.num(1, 665), s.num(1, 99), s.digits(4))})
}

// card returns a Luhn-valid Visa, Mastercard or Amex number, grouped as printed.
func (s *synth) card() string {
	prefix, n, groups := "4", 16, []int{4, 4, 4, 4}
	switch s.rng.IntN(3) {
	case 1:
		prefix = fmt.Sprint(s.num(51, 55))
	case 2:
		prefix, n, groups = s.pick([]string{"34", "37"}), 15, []int{4, 6, 5}
	}
	d := prefix + s.digits(n-len(prefix)-1)
	for c := byte('0'); c <= '9'; c++ {
		if luhn(d + string(c)) {
			d += string(c)
			break
		}
	}
	sep := s.pick([]string{" ", "-", ""})
	var parts []string
	for _, g := range groups {
		parts, d = append(parts, d[:g]), d[g:]
	}
	return strings.Join(parts, sep)
}
func (s *synth) account() string  { return s.digits(s.num(7, 12)) }
func (s *synth) passport() string { return s.pick([]string{"", "X", "C", "AB"}) + s.digits(8) }
func (s *synth) nhs() string      { return s.digits(3) + " " + s.digits(3) + " " + s.digits(4) }
