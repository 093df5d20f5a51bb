package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hush-scores/hush/internal/stats"
)

// price is one line of the price table.
type price struct {
	What   string
	USD    float64
	Per    string
	Source string
}

// Prices: AWS list prices for us-east-1 (on-demand, no free tier, no
// savings plans), as the AWS pricing pages named in Source publish them;
// written down 2026-11-29 from those pages as last read (the health check's
// and the alarm's on 2026-12-04, from the dates their Source names), not
// fetched by this command. Other regions cost a little more; check the pages
// before quoting a figure.
var (
	priceDynamoRead    = price{"DynamoDB on-demand read request unit", 0.125e-6, "RRU", "aws.amazon.com/dynamodb/pricing/on-demand"}
	priceDynamoWrite   = price{"DynamoDB on-demand write request unit (and replicated rWRU)", 0.625e-6, "WRU", "aws.amazon.com/dynamodb/pricing/on-demand"}
	priceLambdaRequest = price{"Lambda request", 0.20e-6, "request", "aws.amazon.com/lambda/pricing"}
	priceLambdaGBs     = price{"Lambda arm64 duration", 0.0000133334, "GB-second", "aws.amazon.com/lambda/pricing"}
	priceAPIGateway    = price{"API Gateway REST API request (first 333 M/month)", 3.50e-6, "request", "aws.amazon.com/api-gateway/pricing"}
	priceLogsIngest    = price{"CloudWatch Logs ingestion (standard)", 0.50, "GB", "aws.amazon.com/cloudwatch/pricing"}
	priceInterRegion   = price{"Data transfer between regions", 0.02, "GB", "aws.amazon.com/ec2/pricing/on-demand (data transfer)"}
	priceEgress        = price{"Data transfer out to the internet (first 10 TB)", 0.09, "GB", "aws.amazon.com/ec2/pricing/on-demand (data transfer)"}
	// The region's Route 53 health check follows a CloudWatch alarm
	// (components/healthalarm.go): a CLOUDWATCH_METRIC check, which sends
	// no request, so none of the endpoint options (HTTPS, string matching,
	// fast interval, latency) applies. The pricing page lists no separate
	// rate for checks of alarms; it is priced as a basic check of an AWS
	// endpoint.
	priceHealthCheck = price{"Route 53 health check of a CloudWatch alarm (basic check, AWS endpoint rate; no optional feature)", 0.50, "check-month",
		"aws.amazon.com/route53/pricing (basic health checks, AWS endpoints: 0.50/month, page as transcribed 2026-09-20); docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-creating-values.html (advanced options for endpoint checks only)"}
	priceAlarmMetric = price{"CloudWatch alarm, standard resolution", 0.10, "alarm-metric-month",
		"aws.amazon.com/cloudwatch/pricing (alarms, standard resolution: 0.10 per alarm metric, page as transcribed 2026-05-04)"}
	allPrices        = []price{priceDynamoRead, priceDynamoWrite, priceLambdaRequest, priceLambdaGBs, priceAPIGateway, priceLogsIngest, priceInterRegion, priceEgress, priceHealthCheck, priceAlarmMetric}
	pricesCheckedOn  = "2026-11-29"
	lambdaMemoryGB   = 256.0 / 1024 // components/regional.go lambdaMemoryMB
	platformLogBytes = 330.0        // Lambda's START, END and REPORT lines per invocation, estimated, not measured here
	gigabyte         = float64(1 << 30)
	daysPerMonth     = 30.0
)

// dayModel is the stated day the estimate prices.
type dayModel struct {
	Hours          float64
	Spectators     int
	RefreshSeconds float64 // each refresh is one GET: standings and results alternately
	Matches        int     // POSTs
	Corrections    int     // PUTs that replace a match
	Deletes        int
}

var tournamentDay = dayModel{Hours: 10, Spectators: 2000, RefreshSeconds: 30, Matches: 300, Corrections: 30, Deletes: 5}

func (m dayModel) String() string {
	return fmt.Sprintf("%d spectators refreshing every %.0f s for %.0f h (standings and results of the big tournament in turn), "+
		"%d matches recorded, %d corrected, %d deleted; on every region all day a Route 53 health check following a CloudWatch alarm",
		m.Spectators, m.RefreshSeconds, m.Hours, m.Matches, m.Corrections, m.Deletes)
}

// costLine is one service's share of a request's or a day's cost.
type costLine struct {
	Service string
	USD     float64
}

// requestCost prices one request of kind k in a stack of regions regions.
// Reads are served in the region that received them; a write's units are
// paid in the write region (transactional: twice a standard write) and
// again in every other region as replicated write units (standard writes
// there), and its items travel to each of them.
func requestCost(k kindStat, regions int) []costLine {
	ms := math.Ceil(k.HandlerMS) // Lambda bills whole milliseconds
	other := float64(regions - 1)
	return []costLine{
		{"API Gateway", priceAPIGateway.USD},
		{"Lambda requests", priceLambdaRequest.USD},
		{"Lambda GB-s", ms / 1000 * lambdaMemoryGB * priceLambdaGBs.USD},
		{"CloudWatch Logs", (k.LogBytes + platformLogBytes) / gigabyte * priceLogsIngest.USD},
		{"DynamoDB reads", k.ReadUnits * priceDynamoRead.USD},
		{"DynamoDB writes", (k.WriteUnit + k.ReplicaWriteUnits*other) * priceDynamoWrite.USD},
		{"inter-region transfer", k.ReplicatedBytes * other / gigabyte * priceInterRegion.USD},
	}
}

func sum(lines []costLine) float64 {
	t := 0.0
	for _, l := range lines {
		t += l.USD
	}
	return t
}

// dayCost prices the stated day in a stack of regions regions, from the
// probe's kinds (found by name prefix) and the polling phase's bytes.
func dayCost(rep dayReport, m dayModel, regions int) []costLine {
	kind := func(prefix string) kindStat {
		for _, k := range rep.Kinds {
			if strings.HasPrefix(k.Name, prefix) {
				return k
			}
		}
		return kindStat{}
	}
	big := rep.Plan.Big
	refreshes := float64(m.Spectators) * m.Hours * 3600 / m.RefreshSeconds
	mix := []struct {
		k kindStat
		n float64
	}{
		{kind(fmt.Sprintf("GET standings (%d", big)), refreshes / 2},
		{kind(fmt.Sprintf("GET results (%d", big)), refreshes / 2},
		{kind("POST match"), float64(m.Matches)},
		{kind("PUT match"), float64(m.Corrections)},
		{kind("DELETE match"), float64(m.Deletes)},
		// No GET health: Route 53 follows an alarm and sends no request
		// (components/healthalarm.go); /v1/health is for people and scripts.
	}
	total := map[string]float64{}
	var order []string
	for _, x := range mix {
		for _, l := range requestCost(x.k, regions) {
			if _, ok := total[l.Service]; !ok {
				order = append(order, l.Service)
			}
			total[l.Service] += l.USD * x.n
		}
	}
	out := make([]costLine, 0, len(order)+4)
	for _, s := range order {
		out = append(out, costLine{s, total[s]})
	}
	out = append(out,
		costLine{"write-region fence (DynamoDB)", fenceDay(rep, m, regions).USD},
		costLine{"Route 53 health checks (of alarms)", float64(regions) * priceHealthCheck.USD / daysPerMonth},
		costLine{"CloudWatch alarms (edge health)", float64(regions) * priceAlarmMetric.USD / daysPerMonth},
		costLine{"internet egress (after 304s)", refreshes * pollBytesPerRequest(rep) / gigabyte * priceEgress.USD})
	return out
}

// pollBytesPerRequest is the mean body size a spectator's poll of the big
// tournament downloaded, 304s included.
func pollBytesPerRequest(rep dayReport) float64 {
	var n, b float64
	for _, p := range rep.Polls {
		if strings.Contains(p.Name, fmt.Sprintf("(%d)", rep.Plan.Big)) {
			n += float64(len(p.Durations) - p.Errors)
			b += float64(p.Bytes)
		}
	}
	if n == 0 {
		return 0
	}
	return b / n
}

// renderDay prints the scenario's tables.
func renderDay(w io.Writer, rep dayReport, quick bool) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight|tabwriter.Debug)
	p := rep.Plan
	mode := ""
	if quick {
		mode = " (quick mode: small sizes, figures not representative)"
	}
	fmt.Fprintf(w, "hush-load -scenario day%s: regions %s; tournaments of %d and %d matches among the same %d players\n\n",
		mode, strings.Join(rep.Regions, ", "), p.Small, p.Big, len(seedPlayers))

	fmt.Fprintf(w, "Per request, measured one at a time (%d of each after one warm-up). Read units as DynamoDB Local reports them (ReturnConsumedCapacity);\n"+
		"write units computed from the items by DynamoDB's rules, since Local under-reports transactions (its figure in brackets):\n", p.ProbeEach)
	fmt.Fprintln(tw, "kind\tp50 ms\tDynamoDB requests\tread units\twrite units\treplicated bytes\tbody bytes\tlog bytes\thandler ms\t")
	for _, k := range rep.Kinds {
		wu := fmt.Sprintf("%.1f", k.WriteUnit)
		if k.WriteUnit > 0 {
			wu = fmt.Sprintf("%.1f (%.1f)", k.WriteUnit, k.LocalWriteUnits)
		}
		fmt.Fprintf(tw, "%s\t%.2f\t%s\t%.1f\t%s\t%.0f\t%.0f\t%.0f\t%.2f\t\n", k.Name, msf(k.P50), requestList(k.Requests),
			k.ReadUnits, wu, k.ReplicatedBytes, k.RespBytes, k.LogBytes, k.HandlerMS)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	small, big := standingsPair(rep)
	if small.N > 0 && big.N > 0 && small.P50 > 0 && small.ReadUnits > 0 {
		fmt.Fprintf(w, "standings, %d vs %d matches: p50 %.2fx, read units %.2fx\n",
			p.Big, p.Small, float64(big.P50)/float64(small.P50), big.ReadUnits/small.ReadUnits)
	}

	fmt.Fprintf(w, "\nPolling for %s: %d spectators (every %s, across all regions, with If-None-Match), %d scorekeepers (a PUT every %s in the write region); same ETag in every region: %v\n",
		p.Poll, p.Spectators, p.PollEvery, p.Scorers, p.ScoreEvery, rep.SameETags)
	fmt.Fprintln(tw, "endpoint\trequests\terrors\tp50 ms\tp99 ms\t304 rate\tbody bytes\tbytes saved\tregions\t")
	var all304, allReq int
	var allSaved, allBytes int64
	for _, s := range rep.Polls {
		d := s.Durations
		ps := stats.Percentiles(d, 50, 99)
		rate := 0.0
		if len(d) > 0 {
			rate = float64(s.Status304) / float64(len(d))
		}
		if !strings.HasPrefix(s.Name, "PUT") {
			all304 += s.Status304
			allReq += len(d)
			allSaved += s.SavedBytes
			allBytes += s.Bytes
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.2f\t%.2f\t%.0f%%\t%d\t%d\t%d\t\n", s.Name, len(d), s.Errors, msf(ps[0]), msf(ps[1]),
			100*rate, s.Bytes, s.SavedBytes, len(s.RegionsSeen))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if allReq > 0 && allBytes+allSaved > 0 {
		fmt.Fprintf(w, "polls: %.0f%% answered 304; %d of %d body bytes saved (%.0f%%)\n",
			100*float64(all304)/float64(allReq), allSaved, allBytes+allSaved, 100*float64(allSaved)/float64(allBytes+allSaved))
	}

	fmt.Fprintf(w, "\nCost per million requests (USD), by stack shape; Lambda at %.0f MB and the handler's measured duration, logs at the measured bytes plus %.0f bytes of Lambda platform lines (estimated):\n",
		lambdaMemoryGB*1024, platformLogBytes)
	fmt.Fprintln(tw, "kind\t1 region\t2 regions\t3 regions\t")
	for _, k := range rep.Kinds {
		fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t%.2f\t\n", k.Name, 1e6*sum(requestCost(k, 1)), 1e6*sum(requestCost(k, 2)), 1e6*sum(requestCost(k, 3)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintf(w, "\nA tournament day (USD): %s.\n", tournamentDay)
	days := [3][]costLine{dayCost(rep, tournamentDay, 1), dayCost(rep, tournamentDay, 2), dayCost(rep, tournamentDay, 3)}
	fmt.Fprintln(tw, "service\t1 region\t2 regions\t3 regions\t")
	for i, l := range days[0] {
		fmt.Fprintf(tw, "%s\t%.4f\t%.4f\t%.4f\t\n", l.Service, l.USD, days[1][i].USD, days[2][i].USD)
	}
	fmt.Fprintf(tw, "total\t%.2f\t%.2f\t%.2f\t\n", sum(days[0]), sum(days[1]), sum(days[2]))
	if err := tw.Flush(); err != nil {
		return err
	}
	renderFence(w, rep, tournamentDay)

	fmt.Fprintf(w, "\nPrices (us-east-1 list prices, as published on the pages named, written down %s):\n", pricesCheckedOn)
	for _, pr := range allPrices {
		fmt.Fprintf(tw, "%s\t%g USD per %s\t%s\t\n", pr.What, pr.USD, pr.Per, pr.Source)
	}
	return tw.Flush()
}

// standingsPair returns the probe's standings kinds of the small and big tournaments.
func standingsPair(rep dayReport) (small, big kindStat) {
	for _, k := range rep.Kinds {
		switch k.Name {
		case fmt.Sprintf("GET standings (%d matches)", rep.Plan.Small):
			small = k
		case fmt.Sprintf("GET standings (%d matches)", rep.Plan.Big):
			big = k
		}
	}
	return small, big
}

func requestList(reqs map[string]float64) string {
	names := make([]string, 0, len(reqs))
	for n := range reqs {
		names = append(names, n)
	}
	slices.Sort(names)
	parts := make([]string, 0, len(names))
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%g %s", reqs[n], n))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " + ")
}

func msf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
