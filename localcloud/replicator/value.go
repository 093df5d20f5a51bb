package replicator

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	streams "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// value is one DynamoDB attribute value in a form that survives JSON, so
// queued changes can be kept on disk, and that hashes the same whichever
// API (DynamoDB or DynamoDB Streams) it came from.
type value struct {
	S    *string          `json:"S,omitempty"`
	N    *string          `json:"N,omitempty"`
	B    []byte           `json:"B,omitempty"`
	SS   []string         `json:"SS,omitempty"`
	NS   []string         `json:"NS,omitempty"`
	BS   [][]byte         `json:"BS,omitempty"`
	M    map[string]value `json:"M,omitempty"`
	L    []value          `json:"L,omitempty"`
	NULL bool             `json:"NULL,omitempty"`
	BOOL *bool            `json:"BOOL,omitempty"`
	// isM and isL keep an empty map or list apart from an absent one.
	IsM bool `json:"isM,omitempty"`
	IsL bool `json:"isL,omitempty"`
}

// item is a whole item; nil means no item (deleted or never written).
type item map[string]value

func fromStream(av streams.AttributeValue) (value, error) {
	switch v := av.(type) {
	case *streams.AttributeValueMemberS:
		return value{S: &v.Value}, nil
	case *streams.AttributeValueMemberN:
		return value{N: &v.Value}, nil
	case *streams.AttributeValueMemberB:
		return value{B: v.Value}, nil
	case *streams.AttributeValueMemberSS:
		return value{SS: sorted(v.Value)}, nil
	case *streams.AttributeValueMemberNS:
		return value{NS: sorted(v.Value)}, nil
	case *streams.AttributeValueMemberBS:
		return value{BS: sortedBytes(v.Value)}, nil
	case *streams.AttributeValueMemberBOOL:
		return value{BOOL: &v.Value}, nil
	case *streams.AttributeValueMemberNULL:
		return value{NULL: true}, nil
	case *streams.AttributeValueMemberM:
		m, err := streamItem(v.Value)
		return value{M: m, IsM: true}, err
	case *streams.AttributeValueMemberL:
		l := make([]value, len(v.Value))
		for i, e := range v.Value {
			var err error
			if l[i], err = fromStream(e); err != nil {
				return value{}, err
			}
		}
		return value{L: l, IsL: true}, nil
	}
	return value{}, fmt.Errorf("replicator: unknown stream attribute value %T", av)
}

// streamItem converts an image; no image (a deleted item) is a nil item.
func streamItem(m map[string]streams.AttributeValue) (item, error) {
	if m == nil {
		return nil, nil //nolint:nilnil // a nil item is a valid value: no item
	}
	out := make(item, len(m))
	for k, av := range m {
		v, err := fromStream(av)
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

func fromDB(av ddb.AttributeValue) (value, error) {
	switch v := av.(type) {
	case *ddb.AttributeValueMemberS:
		return value{S: &v.Value}, nil
	case *ddb.AttributeValueMemberN:
		return value{N: &v.Value}, nil
	case *ddb.AttributeValueMemberB:
		return value{B: v.Value}, nil
	case *ddb.AttributeValueMemberSS:
		return value{SS: sorted(v.Value)}, nil
	case *ddb.AttributeValueMemberNS:
		return value{NS: sorted(v.Value)}, nil
	case *ddb.AttributeValueMemberBS:
		return value{BS: sortedBytes(v.Value)}, nil
	case *ddb.AttributeValueMemberBOOL:
		return value{BOOL: &v.Value}, nil
	case *ddb.AttributeValueMemberNULL:
		return value{NULL: true}, nil
	case *ddb.AttributeValueMemberM:
		m, err := dbItem(v.Value)
		return value{M: m, IsM: true}, err
	case *ddb.AttributeValueMemberL:
		l := make([]value, len(v.Value))
		for i, e := range v.Value {
			var err error
			if l[i], err = fromDB(e); err != nil {
				return value{}, err
			}
		}
		return value{L: l, IsL: true}, nil
	}
	return value{}, fmt.Errorf("replicator: unknown attribute value %T", av)
}

// dbItem converts a GetItem result; no item is a nil item.
func dbItem(m map[string]ddb.AttributeValue) (item, error) {
	if len(m) == 0 {
		return nil, nil //nolint:nilnil // a nil item is a valid value: no item
	}
	out := make(item, len(m))
	for k, av := range m {
		v, err := fromDB(av)
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

func (v value) toDB() ddb.AttributeValue {
	switch {
	case v.S != nil:
		return &ddb.AttributeValueMemberS{Value: *v.S}
	case v.N != nil:
		return &ddb.AttributeValueMemberN{Value: *v.N}
	case v.B != nil:
		return &ddb.AttributeValueMemberB{Value: v.B}
	case v.SS != nil:
		return &ddb.AttributeValueMemberSS{Value: v.SS}
	case v.NS != nil:
		return &ddb.AttributeValueMemberNS{Value: v.NS}
	case v.BS != nil:
		return &ddb.AttributeValueMemberBS{Value: v.BS}
	case v.BOOL != nil:
		return &ddb.AttributeValueMemberBOOL{Value: *v.BOOL}
	case v.IsM:
		return &ddb.AttributeValueMemberM{Value: item(v.M).toDB()}
	case v.IsL:
		l := make([]ddb.AttributeValue, len(v.L))
		for i, e := range v.L {
			l[i] = e.toDB()
		}
		return &ddb.AttributeValueMemberL{Value: l}
	}
	return &ddb.AttributeValueMemberNULL{Value: true}
}

func (it item) toDB() map[string]ddb.AttributeValue {
	out := make(map[string]ddb.AttributeValue, len(it))
	for k, v := range it {
		out[k] = v.toDB()
	}
	return out
}

// hash identifies an item's content; "" is no item. encoding/json writes
// map keys sorted, and sets are sorted on the way in, so equal items hash
// equally.
func (it item) hash() string {
	h, _ := it.digest()
	return h
}

// digest returns the item's hash and the size of its encoding, close to
// its size in a request.
func (it item) digest() (string, int) {
	if it == nil {
		return "", 0
	}
	b, err := json.Marshal(it)
	if err != nil {
		panic(err) // strings, bytes and bools always encode
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12]), len(b)
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func sortedBytes(s [][]byte) [][]byte {
	s = slices.Clone(s)
	slices.SortFunc(s, func(a, b []byte) int { return strings.Compare(string(a), string(b)) })
	return s
}
