package main

import (
	"context"
	"fmt"
	"io"

	"github.com/hush-scores/hush/localcloud"
)

// identityHelp is the console's help for the user pool's replica.
const identityHelp = `  identity status      the user pool replica's region, status and authorizer mode
  identity activate    make the replica serve sign-in (UpdateUserPoolReplica ACTIVE), as
                       the Cognito runbook does on AWS once the home region is lost
  identity deactivate  take it back to INACTIVE
  identity dark REGION take REGION's Cognito endpoint away (connections refused), as a
                       lost region; identity light REGION brings it back
`

// identityCommand runs "identity ..." on the console.
func identityCommand(ctx context.Context, s *localcloud.Stack, args []string, out io.Writer) error {
	info := s.Info()
	if info.IdentityReplicaRegion == "" {
		return fmt.Errorf("this stack has no user pool replica: set hush:identityReplicaRegion in its stack file or start hush-local with -identity-replica REGION")
	}
	if len(args) == 0 {
		return fmt.Errorf("identity needs status, activate, deactivate, dark REGION or light REGION")
	}
	switch args[0] {
	case "status":
		fmt.Fprintf(out, "user pool replica in %s at %s: %s (%s issuer, %s authorizer)\n", info.IdentityReplicaRegion, info.IdentityReplicaEndpoint, s.IdentityReplicaStatus(), info.IdentityIssuer, info.Authorizer)
		return nil
	case "activate", "deactivate":
		act := s.ActivateIdentityReplica
		if args[0] == "deactivate" {
			act = s.DeactivateIdentityReplica
		}
		if err := act(ctx); err != nil {
			return err
		}
		fmt.Fprintf(out, "the user pool replica in %s is %s\n", info.IdentityReplicaRegion, s.IdentityReplicaStatus())
		return nil
	case "dark", "light":
		if len(args) != 2 {
			return fmt.Errorf("identity %s needs one REGION", args[0])
		}
		if err := s.SetCognitoDark(args[1], args[0] == "dark"); err != nil {
			return err
		}
		fmt.Fprintf(out, "the Cognito endpoint of %s is %s\n", args[1], map[bool]string{true: "dark", false: "answering again"}[args[0] == "dark"])
		return nil
	}
	return fmt.Errorf("unknown identity command %q; type help", args[0])
}
