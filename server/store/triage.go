package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"diundashboard/gen/sqlitedb"
)

// Triage: every change of an image's state goes through changeStates, in one transaction that
// also writes the audit trail (state_changes). The set-based methods below are the whole write
// path of triage; the server's triage service is their only caller.

// StateChange is one change of an image's triage state, as the audit trail keeps it.
type StateChange struct {
	ImageID int64
	At      time.Time
	// Actor is who made the change: a user ("admin"), an API token ("token:widget"), or the
	// dashboard itself ("snooze ended").
	Actor string
	// Digest is the image's digest when it changed: what was acknowledged, snoozed or ignored.
	Digest    string
	From      State
	FromUntil *time.Time
	To        State
	ToUntil   *time.Time
	// Cause says why, when it was not a decision of Actor's: CauseUndo, CauseNewDigest.
	Cause string
}

// The causes of the audit trail beside a decision (""); the SQL writes them too (migration
// 20261207000501).
const (
	// CauseUndo is the undo of an earlier change, made by Actor.
	CauseUndo = "undo"
	// CauseNewDigest is Diun reporting a new digest of an acknowledged image, which reopens it.
	CauseNewDigest = "new digest"
)

// ActorDiun is the actor of the reopenings a new digest makes.
const ActorDiun = "Diun"

// MaxBatch bounds the images one set-based call may name: the UI's bulk form sends at most
// 5,000 ids, and one transaction should stay short.
const MaxBatch = 10000

// ActorSnoozeEnded is the actor of the reopenings WakeSnoozed makes.
const ActorSnoozeEnded = "snooze ended"

// ReservedActor tells whether name is one the audit trail keeps for something other than a
// person: the dashboard itself (ActorSnoozeEnded, ActorDiun for a reopen by a new digest), the MQTT bridge ("mqtt", or "mqtt:…") or an
// API token ("token:…"). A person (a proxy's user, the built-in user) may not take one, or
// their changes would read as the dashboard's or a token's (found by an outside review).
func ReservedActor(name string) bool {
	n := strings.ToLower(strings.TrimSpace(name))
	return n == ActorSnoozeEnded || n == strings.ToLower(ActorDiun) || n == "mqtt" || strings.HasPrefix(n, "mqtt:") || strings.HasPrefix(n, "token:")
}

// TriageStore is the write path of triage: set-based, each call one transaction, each state
// change recorded with who made it.
type TriageStore interface {
	// SetStates moves the images ids to t and returns what moved, each with its prior state
	// (for undo); images already there, and unknown ids, are left out.
	SetStates(ctx context.Context, ids []int64, t Transition, actor string) ([]StateChange, error)
	// SetStatesWhere does the same for every image of one host that f matches, on all pages:
	// f must name the host (Hostname, or ExactHost for the images without one).
	SetStatesWhere(ctx context.Context, f ImageFilter, t Transition, actor string) ([]StateChange, error)
	// RestoreStates puts each image of prior back to its From state (an undo of what a
	// SetStates returned) and returns what moved: only the images still in the To state the
	// change left them in; one changed since keeps its later state.
	RestoreStates(ctx context.Context, prior []StateChange, actor string) ([]StateChange, error)
	// WakeSnoozed reopens the snoozed images whose time has come, as ActorSnoozeEnded.
	WakeSnoozed(ctx context.Context, now time.Time) ([]StateChange, error)
	// DeleteImages removes images with their events, tag links and audit trail; it returns
	// how many there were.
	DeleteImages(ctx context.Context, ids []int64) (int64, error)
	// TagImages and UntagImages attach a tag to, or detach it from, the images ids; unknown
	// images are skipped, an unknown tag is ErrNotFound. They return the images whose link
	// changed (for an exact undo).
	TagImages(ctx context.Context, ids []int64, tagID int64) ([]int64, error)
	UntagImages(ctx context.Context, ids []int64, tagID int64) ([]int64, error)
	// GetTag returns one tag, or ErrNotFound.
	GetTag(ctx context.Context, id int64) (Tag, error)
	// ListStateChanges returns the newest changes of one image, newest first.
	ListStateChanges(ctx context.Context, imageID int64, limit int) ([]StateChange, error)
}

// idList is ids as the JSON array the set-based queries take.
func idList(ids []int64) (string, error) {
	if len(ids) > MaxBatch {
		return "", fmt.Errorf("%w: %d images at once; at most %d", ErrInvalid, len(ids), MaxBatch)
	}
	if ids == nil {
		ids = []int64{}
	}
	b, err := json.Marshal(ids)
	return string(b), err
}

func checkActor(actor string) error {
	if strings.TrimSpace(actor) == "" {
		return fmt.Errorf("%w: a state change needs an actor", ErrInvalid)
	}
	return checkText("actor", actor, MaxFieldLen)
}

func (d *db) SetStates(ctx context.Context, ids []int64, t Transition, actor string) ([]StateChange, error) {
	if err := t.validate(); err != nil {
		return nil, err
	}
	if err := checkActor(actor); err != nil {
		return nil, err
	}
	list, err := idList(ids)
	if err != nil {
		return nil, err
	}
	var out []StateChange
	err = d.writeTx(ctx, func(q queries) error {
		out, err = changeStates(ctx, q, list, t, nil, actor, now())
		return err
	})
	return out, err
}

func (d *db) SetStatesWhere(ctx context.Context, f ImageFilter, t Transition, actor string) ([]StateChange, error) {
	if err := t.validate(); err != nil {
		return nil, err
	}
	if err := checkActor(actor); err != nil {
		return nil, err
	}
	if err := f.validate(); err != nil {
		return nil, err
	}
	if f.host() == nil {
		return nil, fmt.Errorf("%w: a change by filter needs a host (a hostname, or the images without one)", ErrInvalid)
	}
	var out []StateChange
	err := d.writeTx(ctx, func(q queries) error {
		ids, err := q.ImageIDsOfHost(ctx, sqlitedb.ImageIDsOfHostParams{
			Hostname: f.Hostname, State: nilIfEmpty(string(f.State)), Provider: nilIfEmpty(f.Provider),
			Q: nilIfEmpty(f.Query), Tag: nilIfEmpty(f.Tag), Stack: nilIfEmpty(f.Stack),
		})
		if err != nil {
			return err
		}
		list, err := idList(ids)
		if err != nil {
			return err
		}
		out, err = changeStates(ctx, q, list, t, nil, actor, now())
		return err
	})
	return out, err
}

func (d *db) RestoreStates(ctx context.Context, prior []StateChange, actor string) ([]StateChange, error) {
	if err := checkActor(actor); err != nil {
		return nil, err
	}
	// One changeStates per distinct prior and later state, all in one transaction.
	type target struct {
		from, fromUntil, to, toUntil string
	}
	groups := map[target][]int64{}
	transitions := map[target][2]Transition{} // back to, only from
	for _, p := range prior {
		back := Transition{State: p.From, SnoozedUntil: p.FromUntil}
		if err := back.validate(); err != nil {
			return nil, err
		}
		from := Transition{State: p.To, SnoozedUntil: p.ToUntil}
		if err := from.validate(); err != nil {
			return nil, fmt.Errorf("the state to undo: %w", err)
		}
		k := target{from: string(p.From), fromUntil: timeKey(p.FromUntil), to: string(p.To), toUntil: timeKey(p.ToUntil)}
		groups[k] = append(groups[k], p.ImageID)
		transitions[k] = [2]Transition{back, from}
	}
	var out []StateChange
	at := now()
	err := d.writeTx(ctx, func(q queries) error {
		out = nil // a retried attempt starts again
		for k, ids := range groups {
			list, err := idList(ids)
			if err != nil {
				return err
			}
			tr := transitions[k]
			moved, err := changeStates(ctx, q, list, tr[0], &tr[1], actor, at)
			if err != nil {
				return err
			}
			out = append(out, moved...)
		}
		return nil
	})
	return out, err
}

// timeKey is t as a map key: "" for none.
func timeKey(t *time.Time) string {
	if t == nil {
		return ""
	}
	return dbTime(*t).Format(time.RFC3339Nano)
}

func (d *db) WakeSnoozed(ctx context.Context, at time.Time) ([]StateChange, error) {
	var out []StateChange
	err := d.writeTx(ctx, func(q queries) error {
		due := dbTime(at)
		ids, err := q.SnoozedDue(ctx, &due)
		if err != nil || len(ids) == 0 {
			return err
		}
		list, err := idList(ids)
		if err != nil {
			return err
		}
		out, err = changeStates(ctx, q, list, Transition{State: StateOpen}, nil, ActorSnoozeEnded, due)
		return err
	})
	return out, err
}

// changeStates records and applies the move of the images in list (a JSON array) to t. An
// undo names the state it undoes (undoing): only the images still in it move, and the audit
// says it was an undo.
func changeStates(ctx context.Context, q queries, list string, t Transition, undoing *Transition, actor string, at time.Time) ([]StateChange, error) {
	until := dbTimePtr(t.SnoozedUntil)
	arg := sqlitedb.RecordStateChangesParams{
		ChangedAt: dbTime(at), Actor: actor, ToState: string(t.State), ToUntil: until, Ids: list,
	}
	if undoing != nil {
		state := string(undoing.State)
		arg.IfState, arg.IfUntil, arg.Cause = &state, dbTimePtr(undoing.SnoozedUntil), CauseUndo
	}
	rows, err := q.RecordStateChanges(ctx, arg)
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	out := make([]StateChange, len(rows))
	moved := make([]int64, len(rows))
	for i, r := range rows {
		out[i] = stateChangeFromRow(r)
		moved[i] = r.ImageID
	}
	movedList, err := idList(moved)
	if err != nil {
		return nil, err
	}
	// Why a move to open happens, for the overview's marks; the query applies it to moves to
	// open only. The snooze timer is the one actor that is not someone.
	opened := OpenedByPerson
	if actor == ActorSnoozeEnded {
		opened = OpenedBySnooze
	}
	if _, err := q.SetImagesState(ctx, sqlitedb.SetImagesStateParams{State: string(t.State), SnoozedUntil: until, ChangedAt: dbTime(at), OpenedBy: string(opened), Ids: movedList}); err != nil {
		return nil, err
	}
	return out, nil
}

func stateChangeFromRow(r sqlitedb.StateChange) StateChange {
	return StateChange{
		ImageID: r.ImageID, At: r.ChangedAt.UTC(), Actor: r.Actor, Digest: r.Digest,
		From: State(r.FromState), FromUntil: utcPtr(r.FromUntil), To: State(r.ToState), ToUntil: utcPtr(r.ToUntil),
		Cause: r.Cause,
	}
}

func (d *db) DeleteImages(ctx context.Context, ids []int64) (int64, error) {
	list, err := idList(ids)
	if err != nil {
		return 0, err
	}
	return d.write.DeleteImages(ctx, list)
}

func (d *db) TagImages(ctx context.Context, ids []int64, tagID int64) ([]int64, error) {
	return d.tagImages(ctx, ids, tagID, true)
}

func (d *db) UntagImages(ctx context.Context, ids []int64, tagID int64) ([]int64, error) {
	return d.tagImages(ctx, ids, tagID, false)
}

func (d *db) tagImages(ctx context.Context, ids []int64, tagID int64, attach bool) ([]int64, error) {
	list, err := idList(ids)
	if err != nil {
		return nil, err
	}
	var n []int64
	err = d.writeTx(ctx, func(q queries) error {
		// The tag first, so that an unknown tag is an error rather than nothing done.
		if _, err := q.GetTag(ctx, tagID); err != nil {
			return notFoundAs(err, fmt.Sprintf("tag %d", tagID))
		}
		if attach {
			n, err = q.TagImages(ctx, sqlitedb.TagImagesParams{TagID: tagID, Ids: list})
		} else {
			n, err = q.UntagImages(ctx, sqlitedb.UntagImagesParams{TagID: tagID, Ids: list})
		}
		return err
	})
	return n, err
}

func (d *db) GetTag(ctx context.Context, id int64) (Tag, error) {
	r, err := d.read.GetTag(ctx, id)
	if err != nil {
		return Tag{}, notFoundAs(err, fmt.Sprintf("tag %d", id))
	}
	return tagFromRow(r), nil
}

func (d *db) ListStateChanges(ctx context.Context, imageID int64, limit int) ([]StateChange, error) {
	rows, err := d.read.ListStateChanges(ctx, sqlitedb.ListStateChangesParams{ImageID: imageID, PageSize: int64(pageSize(limit))})
	if err != nil {
		return nil, err
	}
	out := make([]StateChange, len(rows))
	for i, r := range rows {
		out[i] = stateChangeFromRow(r)
	}
	return out, nil
}

// host is the hostname condition of f: nil matches every host.
func (f ImageFilter) host() *string {
	if f.Hostname == "" && !f.ExactHost {
		return nil
	}
	h := f.Hostname
	return &h
}

// notFoundAs turns "no rows" into ErrNotFound about what.
func notFoundAs(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return err
}
