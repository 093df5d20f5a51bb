package main

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/hush-scores/hush/dynamo"
	"github.com/hush-scores/hush/dynamo/dynamoclient"
	"github.com/hush-scores/hush/writeregion"
)

// dialReplicas builds a Control of each region's replica of t, each with a
// client in that region: AWS's endpoint and default credentials, or the
// region's endpoint of t, signed with t's secret when it has one. The
// clients are dynamo.ConfigureClient's, bounded per attempt; the operator
// bounds each call as a whole (-call-timeout). Nothing is called yet, so
// a region that is down fails only the calls to it.
func dialReplicas(ctx context.Context, t target) (map[string]writeregion.Control, error) {
	var cfg aws.Config
	var loaded bool
	out := map[string]writeregion.Control{}
	for _, region := range t.Regions {
		endpoint := t.Endpoints[region]
		var client *dynamodb.Client
		switch {
		case endpoint != "" && t.Secret != "":
			c, err := dynamoclient.ForEndpoint(endpoint, region, dynamoclient.Secret(t.Secret), dynamo.ConfigureClient)
			if err != nil {
				return nil, fmt.Errorf("client of %s: %w", region, err)
			}
			client = c
		default:
			if !loaded {
				c, err := awsconfig.LoadDefaultConfig(ctx)
				if err != nil {
					return nil, fmt.Errorf("aws config: %w", err)
				}
				cfg, loaded = c, true
			}
			regional := cfg.Copy()
			regional.Region = region
			client = dynamo.NewClient(regional, func(o *dynamodb.Options) {
				if endpoint != "" {
					o.BaseEndpoint = aws.String(endpoint)
				}
			})
		}
		out[region] = dynamo.NewControl(client, t.Table, region)
	}
	return out, nil
}
