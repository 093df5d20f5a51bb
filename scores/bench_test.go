package scores

import (
	"strconv"
	"testing"
)

var (
	benchScore     Score
	benchStandings []Standing
)

func BenchmarkParseScore(b *testing.B) {
	for _, s := range []string{"5,4,9", "6,-4,7,10", "1,2,3,-4,-5,-6,7"} {
		b.Run(s, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sc, err := ParseScore(s, 0)
				if err != nil {
					b.Fatal(err)
				}
				benchScore = sc
			}
		})
	}
}

func BenchmarkStandings(b *testing.B) {
	for _, n := range []int{20, 1000} {
		matches := tournament(b, 16, n)
		b.Run(strconv.Itoa(n)+"_matches", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				benchStandings = Standings(matches)
			}
		})
	}
}
