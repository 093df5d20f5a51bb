package localcloud

import (
	"net/url"
	"strconv"

	"github.com/hush-scores/hush/internal/dynamolocal"
)

// Warnings says what the stack leaves open that a developer should know
// before running it on a shared network, one sentence each. cognito-local
// and the gateways listen on loopback only and refuse browsers where it
// matters (loopguard); DynamoDB Local does too when a JDK could build its
// loopback launcher, and is otherwise open to the network.
func (i Info) Warnings() []string {
	if i.DynamoDBLoopbackOnly {
		return nil
	}
	u, err := url.Parse(i.DynamoDBEndpoint)
	if err != nil || u.Port() == "" {
		return nil
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		return nil
	}
	return []string{dynamolocal.ExposureWarning(port)}
}
