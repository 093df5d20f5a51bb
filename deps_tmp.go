//go:build tools

package main

import (
	_ "github.com/MicahParks/keyfunc/v3"
	_ "github.com/aws/aws-lambda-go/events"
	_ "github.com/aws/aws-lambda-go/lambda"
	_ "github.com/aws/aws-sdk-go-v2/config"
	_ "github.com/aws/aws-sdk-go-v2/credentials"
	_ "github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	_ "github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	_ "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	_ "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	_ "github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
	_ "github.com/getkin/kin-openapi/openapi3"
	_ "github.com/golang-jwt/jwt/v5"
	_ "github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	_ "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/acm"
	_ "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/apigateway"
	_ "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	_ "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cognito"
	_ "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	_ "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	_ "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	_ "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/route53"
	_ "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	_ "github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	_ "github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
	_ "gopkg.in/yaml.v3"
)
