// Command hush is the Pulumi program of Hush: `pulumi up` in this directory
// builds the Lambda handlers and deploys the selected stack to every region
// its Pulumi.<stack>.yaml lists.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hush-scores/hush/components"
	"github.com/hush-scores/hush/internal/lambdabuild"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		config, err := stackConfig()
		if err != nil {
			return err
		}
		// The project directory (Pulumi.yaml) is the module root, which
		// holds handlers/.
		root := ctx.RootDirectory()
		if root == "" {
			root = "." // older CLIs run the program there without saying so
		}
		_, err = components.Deploy(ctx, config, lambdabuild.New(root))
		return err
	})
}

// stackConfig returns all of the stack's config. The Go SDK can look keys up
// but not list them, and listing is what catches a mistyped key; the engine
// hands the program its config as this JSON environment variable, which is
// also where the SDK itself reads it from.
func stackConfig() (map[string]string, error) {
	config := map[string]string{}
	raw := os.Getenv(pulumi.EnvConfig)
	if raw == "" {
		return config, nil
	}
	if err := json.Unmarshal([]byte(raw), &config); err != nil {
		return nil, fmt.Errorf("hush: read %s: %w", pulumi.EnvConfig, err)
	}
	return config, nil
}
