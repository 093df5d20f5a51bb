package loopguard

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// signRequest signs req as the SDK does, with the SDK's own signer.
func signRequest(req *http.Request, body, secret string, at time.Time) error {
	sum := sha256.Sum256([]byte(body))
	return v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: "local", SecretAccessKey: secret},
		req, hex.EncodeToString(sum[:]), "dynamodb", "eu-central-1", at)
}
