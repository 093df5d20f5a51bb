package dynamo

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hush-scores/hush/scores"
)

// A cursor is base64url JSON holding only what the request cannot supply:
// where the previous page stopped. The partition (the tournament's PK or the
// player's GSI1PK) always comes from the request, so no cursor can read
// another partition. The cursor also carries a short fingerprint of the
// partition it was made for; it is not a secret and protects nothing, but
// it turns a cursor reused on another list into a clear "invalid cursor"
// instead of a silently odd page.

// maxCursorLength bounds the work spent on a cursor before refusing it; real
// cursors are under 300 characters.
const maxCursorLength = 1024

type cursorData struct {
	Partition string `json:"p"`
	// GSI1SK, PK and SK of the last item of the previous page. A tournament
	// cursor has SK only.
	GSI1SK string `json:"g,omitempty"`
	PK     string `json:"k,omitempty"`
	SK     string `json:"s"`
}

func fingerprint(partition string) string {
	sum := sha256.Sum256([]byte(partition))
	return base64.RawURLEncoding.EncodeToString(sum[:6])
}

func encodeCursor(c cursorData) string {
	b, err := json.Marshal(c)
	if err != nil {
		// A struct of strings always marshals.
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursorData(cursor string) (cursorData, bool) {
	if len(cursor) > maxCursorLength {
		return cursorData{}, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return cursorData{}, false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var c cursorData
	if err := dec.Decode(&c); err != nil || dec.More() {
		return cursorData{}, false
	}
	return c, true
}

func errInvalidCursor() error { return scores.Errorf(scores.CodeInvalid, "invalid cursor") }

// tournamentCursor returns the cursor that continues a tournament's list
// after the match item with key sk.
func tournamentCursor(tournamentID, sk string) string {
	return encodeCursor(cursorData{Partition: fingerprint(tournamentPK(tournamentID)), SK: sk})
}

// decodeTournamentCursor returns the ExclusiveStartKey of a tournament query,
// or a CodeInvalid error.
func decodeTournamentCursor(tournamentID, cursor string) (map[string]types.AttributeValue, error) {
	pk := tournamentPK(tournamentID)
	c, ok := decodeCursorData(cursor)
	if !ok || c.Partition != fingerprint(pk) || c.PK != "" || c.GSI1SK != "" {
		return nil, errInvalidCursor()
	}
	if _, ok := parseMatchSK(c.SK); !ok {
		return nil, errInvalidCursor()
	}
	return map[string]types.AttributeValue{
		AttrPK: &types.AttributeValueMemberS{Value: pk},
		AttrSK: &types.AttributeValueMemberS{Value: c.SK},
	}, nil
}

// playerCursor returns the cursor that continues a player's history after
// the link item with the given keys.
func playerCursor(player, gsi1sk, pk, sk string) string {
	return encodeCursor(cursorData{Partition: fingerprint(playerPK(player)), GSI1SK: gsi1sk, PK: pk, SK: sk})
}

// decodePlayerCursor returns the ExclusiveStartKey of a GSI1 query, or a
// CodeInvalid error. The three carried keys must agree with each other: the
// IDs in GSI1SK are those of PK and SK.
func decodePlayerCursor(player, cursor string) (map[string]types.AttributeValue, error) {
	gpk := playerPK(player)
	c, ok := decodeCursorData(cursor)
	if !ok || c.Partition != fingerprint(gpk) {
		return nil, errInvalidCursor()
	}
	tid, ok1 := parseTournamentPK(c.PK)
	mid, ok2 := parsePlayerLinkSK(c.SK)
	_, gtid, gmid, ok3 := parsePlayerSK(c.GSI1SK)
	if !ok1 || !ok2 || !ok3 || gtid != tid || gmid != mid {
		return nil, errInvalidCursor()
	}
	return map[string]types.AttributeValue{
		AttrGSI1PK: &types.AttributeValueMemberS{Value: gpk},
		AttrGSI1SK: &types.AttributeValueMemberS{Value: c.GSI1SK},
		AttrPK:     &types.AttributeValueMemberS{Value: c.PK},
		AttrSK:     &types.AttributeValueMemberS{Value: c.SK},
	}, nil
}
