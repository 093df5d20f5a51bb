package e2e

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// securityCases are issue 23's additions to the hostile catalog: names that
// look like another player's. Each must get a 400 naming its field, or,
// where the name is one player with the one it looks like, be stored in the
// form that player is shown by.
func (fx *hostileFixture) securityCases() []hostileCase {
	tag := "-" + runID
	base := "lookalike" + tag
	refused := []struct{ name, value string }{
		{"combining grapheme joiner U+034F", base + "\u034f"},
		{"variation selector U+FE0F", base + "\ufe0f"},
		{"Hangul filler U+3164", base + "\u3164"},
		{"Hangul choseong filler U+115F", base + "\u115f"},
		{"halfwidth Hangul filler U+FFA0", base + "\uffa0"},
		{"Khmer vowel inherent U+17B4", base + "\u17b4"},
		{"braille blank U+2800", base + "\u2800"},
		{"Cyrillic A", "\u0410" + base[1:]},
		{"Greek omicron", "l\u03bfokalike" + tag},
	}
	var cases []hostileCase
	for _, slot := range []string{"player1", "player2"} {
		for _, n := range refused {
			body, _ := fx.validBody()
			body[slot] = n.value
			c := fx.write("lookalike-name", slot+" "+n.name, mustJSON(body))
			c.field = slot
			fx.hostileNames = append(fx.hostileNames, n.value)
			cases = append(cases, c)
		}
		// A Kelvin sign is the letter K (canonically equal): accepted, and
		// stored and shown as K.
		body, id := fx.validBody()
		body[slot] = "\u212aim" + tag
		c := fx.write("lookalike-name", slot+" Kelvin sign in Kim", mustJSON(body)).accepts(fx.writes, id)
		fx.acceptedPlayers = append(fx.acceptedPlayers, strings.ToLower("Kim"+tag))
		cases = append(cases, c)
	}
	return cases
}

// TestRebindingEveryLocalPort is issue 23's DNS-rebinding case against the
// local stack's own ports: a page that rebinds its name to 127.0.0.1 is
// same-origin with them and needs no preflight. Sent with the page's name
// as Host and a same-origin fetch's headers, every request must be refused
// (403) before it reaches an emulator; the forged standings line of the
// review ("Mallory 99-0") must not appear.
func TestRebindingEveryLocalPort(t *testing.T) {
	s := requireLocal(t, "it sends requests to the emulators' ports")
	info := s.Info()
	put := `{"TableName":"` + info.Table + `","Item":{"PK":{"S":"STANDINGS#rebind-` + runID + `"},"SK":{"S":"STANDING#mallory"},"player":{"S":"Mallory"},"won":{"N":"99"}}}`
	ports := []struct {
		name, url, target, body string
	}{
		{"DynamoDB Local", info.DynamoDBEndpoint + "/", "DynamoDB_20120810.PutItem", put},
		{"cognito-local", info.CognitoEndpoint + "/", "AWSCognitoIdentityProviderService.SignUp", `{"ClientId":"` + info.UserPoolClientID + `","Username":"mallory","Password":"Passw0rdOK"}`},
		{"status page JSON", strings.TrimSuffix(info.StatusURL, "/") + "/status.json", "", ""},
		{"status page", info.StatusURL, "", ""},
	}
	for _, p := range ports {
		t.Run(p.name, func(t *testing.T) {
			u, err := url.Parse(p.url)
			if err != nil {
				t.Fatal(err)
			}
			method := http.MethodGet
			if p.body != "" {
				method = http.MethodPost
			}
			req, err := http.NewRequestWithContext(t.Context(), method, p.url, strings.NewReader(p.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Host = "rebind-" + runID + ".attacker.example:" + u.Port()
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			req.Header.Set("Sec-Fetch-Mode", "cors")
			if p.target != "" {
				req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
				req.Header.Set("X-Amz-Target", p.target)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("%s: %v", p.name, err)
			}
			body, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
			res.Body.Close()
			if res.StatusCode != http.StatusForbidden {
				t.Errorf("%s with a rebound Host: %d %q, want 403", p.name, res.StatusCode, body)
			}
		})
	}
	r := do(t, http.MethodGet, tgt.URLs[tgt.Home]+"/v1/tournament/rebind-"+runID+"/standings", "", nil)
	if strings.Contains(string(r.Body), "Mallory") {
		t.Errorf("the standings show the forged line: %s", r.Body)
	}
}
