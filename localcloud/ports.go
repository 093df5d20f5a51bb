package localcloud

// Port offsets of the front door and the status page from the base port,
// above the gateways (0 to 9) and the emulators (10, 11), with room left
// between for other parts of the stack. The default front door, whose
// vantage is the write region, takes BasePort+30; the front door near
// region i (in the stack's order) takes BasePort+31+i; the status page
// BasePort+41.
const (
	OffsetFrontDoor  = 30
	OffsetStatusPage = 41
)
