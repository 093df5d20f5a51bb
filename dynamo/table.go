// Package dynamo is the DynamoDB adapter of Hush: the single-table design,
// the key builders and a scores.Store on aws-sdk-go-v2.
package dynamo

// Attribute and index names of the single table. Only this package builds
// their values; every other package goes through the store.
const (
	AttrPK     = "PK"
	AttrSK     = "SK"
	AttrGSI1PK = "GSI1PK"
	AttrGSI1SK = "GSI1SK"
	IndexGSI1  = "GSI1"
)

// IndexDesign describes one global secondary index with string keys and all
// attributes projected.
type IndexDesign struct {
	Name     string
	HashKey  string
	RangeKey string
}

// TableDesign describes the table every environment creates, in the cloud by
// the Pulumi program and on a laptop by the local stack, so the two cannot
// drift apart. Every key attribute is a string.
type TableDesign struct {
	HashKey  string
	RangeKey string
	Indexes  []IndexDesign
}

// Design returns the design of Hush's table.
func Design() TableDesign {
	return TableDesign{
		HashKey:  AttrPK,
		RangeKey: AttrSK,
		Indexes:  []IndexDesign{{Name: IndexGSI1, HashKey: AttrGSI1PK, RangeKey: AttrGSI1SK}},
	}
}

// KeyAttributes returns the names of every key attribute of the table and its
// indexes, in a stable order.
func (d TableDesign) KeyAttributes() []string {
	attrs := []string{d.HashKey, d.RangeKey}
	for _, ix := range d.Indexes {
		attrs = append(attrs, ix.HashKey, ix.RangeKey)
	}
	return attrs
}
