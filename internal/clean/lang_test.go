package clean

import "testing"

func TestEnglish(t *testing.T) {
	tests := []struct {
		name string
		text string
		want bool
	}{
		{"english sentence", "I have been feeling really anxious about my exams and I can't sleep at night.", true},
		{"english reply", "That sounds really hard. It makes sense that you feel overwhelmed right now.", true},
		{"english question, detected as a neighbour by a hair", "After I told them, they yelled at me.", true},
		{"english greeting", "Hello, how are you? What would you like to talk about today?", true},
		{"short reply", "ok thanks", true},
		{"short reply with punctuation", "Thank you!!", true},
		{"short non-english passes too", "gracias amigo", true},
		{"spanish", "No sé qué hacer, me siento muy triste y solo todos los días.", false},
		{"spanish question", "Hola, ¿cómo estás? Necesito hablar con alguien sobre mi ansiedad.", false},
		{"german", "Ich fühle mich seit Wochen sehr traurig und kann nicht schlafen.", false},
		{"german 2", "Meine Freundin hat mich verlassen und ich bin am Boden zerstört.", false},
		{"french", "Je me sens très seul depuis que j'ai déménagé dans cette ville.", false},
		{"french 2", "Je ne sais pas quoi faire, mon travail me stresse énormément.", false},
		{"portuguese", "Eu não consigo dormir e estou sempre cansado durante o dia.", false},
		{"swedish", "Jag mår inte bra och vet inte vem jag ska prata med.", false},
		{"turkish", "Kendimi çok yalnız hissediyorum ve ne yapacağımı bilmiyorum.", false},
		{"indonesian", "Saya merasa sangat sedih dan tidak tahu harus berbuat apa.", false},
		{"chinese", "我最近感到非常焦虑，晚上睡不着觉，不知道该怎么办。", false},
		{"russian", "Я чувствую себя очень одиноким и не знаю, что делать дальше.", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, conf := English(tt.text)
			if got != tt.want {
				t.Errorf("English(%q) = %v (confidence %.2f), want %v", tt.text, got, conf, tt.want)
			}
			if conf < 0 || conf > 1 {
				t.Errorf("English(%q) confidence %v outside [0, 1]", tt.text, conf)
			}
		})
	}
}
