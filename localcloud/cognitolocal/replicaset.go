package cognitolocal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

// Replica statuses, as Cognito's UserPoolReplicaType has them.
const (
	StatusActive   = "ACTIVE"
	StatusInactive = "INACTIVE"
)

// ReplicaSet is a user pool's two replicas, primary and secondary, as
// Cognito's multi-Region replication (MRR) has them: the secondary shares
// the pool ID and app clients, and starts INACTIVE ("A new secondary user
// pool starts in the INACTIVE state", developer guide, "Multi-Region
// replication for user pools"); UpdateUserPoolReplica, which "can be made
// in both primary and secondary regions" (API reference), makes it
// ACTIVE. Both servers answer UpdateUserPoolReplica and
// ListUserPoolReplicas from it (Handler).
type ReplicaSet struct {
	PoolID    string
	Primary   string
	Secondary string

	mu     sync.Mutex
	status string
}

// NewReplicaSet returns the replica set of poolID with its secondary
// INACTIVE.
func NewReplicaSet(poolID, primary, secondary string) *ReplicaSet {
	return &ReplicaSet{PoolID: poolID, Primary: primary, Secondary: secondary, status: StatusInactive}
}

// Status returns the secondary's status.
func (rs *ReplicaSet) Status() string {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.status
}

// SetStatus sets the secondary's status, as UpdateUserPoolReplica does.
func (rs *ReplicaSet) SetStatus(status string) error {
	if status != StatusActive && status != StatusInactive {
		return fmt.Errorf("cognito-local: replica status %q: want %s or %s", status, StatusActive, StatusInactive)
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.status = status
	return nil
}

// replicaType is Cognito's UserPoolReplicaType.
type replicaType struct {
	RegionName  string
	Role        string
	Status      string
	UserPoolArn string
}

func (rs *ReplicaSet) replica(region string) replicaType {
	r := replicaType{RegionName: region, Role: "PRIMARY", Status: StatusActive,
		UserPoolArn: fmt.Sprintf("arn:aws:cognito-idp:%s:local:userpool/%s", region, rs.PoolID)}
	if region == rs.Secondary {
		r.Role, r.Status = "SECONDARY", rs.Status()
	}
	return r
}

// Handler answers UpdateUserPoolReplica and ListUserPoolReplicas, which
// cognito-local does not know, and passes every other request to next.
// It sits behind the guard's signature check: both are administrator
// operations that need IAM credentials.
func (rs *ReplicaSet) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch operation(r) {
		case "UpdateUserPoolReplica":
			var in struct {
				UserPoolID string `json:"UserPoolId"`
				RegionName string
				Status     string
			}
			if !readInput(w, r, &in) {
				return
			}
			if in.UserPoolID != rs.PoolID {
				writeError(w, "ResourceNotFoundException", "User pool "+in.UserPoolID+" does not exist.")
				return
			}
			if in.RegionName != rs.Secondary {
				writeError(w, "InvalidParameterException", fmt.Sprintf("%s holds no secondary replica of %s (its secondary is in %s)", in.RegionName, rs.PoolID, rs.Secondary))
				return
			}
			if err := rs.SetStatus(in.Status); err != nil {
				writeError(w, "InvalidParameterException", "Status must be ACTIVE or INACTIVE")
				return
			}
			writeJSON(w, map[string]any{"UserPoolReplica": rs.replica(rs.Secondary)})
		case "ListUserPoolReplicas":
			var in struct {
				UserPoolID string `json:"UserPoolId"`
			}
			if !readInput(w, r, &in) {
				return
			}
			if in.UserPoolID != rs.PoolID {
				writeError(w, "ResourceNotFoundException", "User pool "+in.UserPoolID+" does not exist.")
				return
			}
			writeJSON(w, map[string]any{"UserPoolReplicas": []replicaType{rs.replica(rs.Primary), rs.replica(rs.Secondary)}})
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// operation returns the Cognito operation r calls, or "".
func operation(r *http.Request) string {
	if r.Method != http.MethodPost {
		return ""
	}
	op, _ := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "AWSCognitoIdentityProviderService.")
	return op
}

// maxInput bounds the body read by the handlers that answer themselves.
const maxInput = 1 << 20

// readInput decodes r's JSON body into v, leaving it readable for the
// next handler; on a bad body it answers 400 and returns false.
func readInput(w http.ResponseWriter, r *http.Request, v any) bool {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxInput))
	if err != nil {
		writeError(w, "InvalidParameterException", "cannot read the request body")
		return false
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	if err := json.Unmarshal(b, v); err != nil {
		writeError(w, "InvalidParameterException", "the request body is not JSON")
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers 400 with a Cognito error the SDKs decode.
func writeError(w http.ResponseWriter, errType, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", errType)
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": errType, "message": msg})
}
