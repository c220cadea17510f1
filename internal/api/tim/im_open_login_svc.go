package tim

import (
	"context"

	"github.com/parleyim/parley/internal/core"
)

// Account commands: v4/im_open_login_svc/* and the online-status queries.

// maxAccountBatch bounds the account lists of multiaccount_import,
// account_delete and account_check.
const maxAccountBatch = 100

func (h *Handler) registerAccounts() {
	h.handle("im_open_login_svc/account_import", &loginFamily, h.accountImport)
	h.handle("im_open_login_svc/multiaccount_import", &loginFamily, h.multiAccountImport)
	h.handle("im_open_login_svc/account_delete", &loginFamily, h.accountDelete)
	h.handle("im_open_login_svc/account_check", &loginFamily, h.accountCheck)
	h.handle("im_open_login_svc/kick", &loginFamily, h.kick)
	h.handle("openim/query_online_status", &openimFamily, h.queryOnlineStatus)
	h.handle("openim/querystate", &openimFamily, h.queryState)
}

// accountFields: an account member of the wrong type is 60015 ("account
// field must be a string"); other members are 70402.
var accountFields = fieldCodes{"UserID": 60015, "Identifier": 60015}

// userID returns the current member, else the legacy one, else "".
func userID(current, legacy *string) (string, bool) {
	switch {
	case current != nil:
		return *current, true
	case legacy != nil:
		return *legacy, true
	}
	return "", false
}

type accountImportRequest struct {
	UserID     *string `json:"UserID"`
	Identifier *string `json:"Identifier"` // legacy name of UserID
	Nick       string  `json:"Nick"`
	FaceURL    string  `json:"FaceUrl"`
	Type       int64   `json:"Type"` // legacy: 0 normal, 1 robot; accepted, not used
}

func (h *Handler) accountImport(ctx context.Context, c *call) (any, *wireError) {
	var req accountImportRequest
	if err := c.decode(&req, accountFields); err != nil {
		return nil, err
	}
	id, ok := userID(req.UserID, req.Identifier)
	if !ok {
		return nil, fail(70402, "UserID is missing")
	}
	err := h.svc.ImportAccount(ctx, core.Account{App: c.app.ID, ID: id, Nick: req.Nick, FaceURL: req.FaceURL})
	if err != nil {
		return nil, c.refuse(err)
	}
	return okEnvelope, nil
}

type multiAccountImportRequest struct {
	Accounts    []string `json:"Accounts"`
	AccountList []struct {
		UserID  *string `json:"UserID"`
		Nick    string  `json:"Nick"`
		FaceURL string  `json:"FaceUrl"`
	} `json:"AccountList"`
}

type multiAccountImportResponse struct {
	envelope     `json:",inline"`
	FailAccounts []string `json:"FailAccounts"`
}

func (h *Handler) multiAccountImport(ctx context.Context, c *call) (any, *wireError) {
	var req multiAccountImportRequest
	if err := c.decode(&req, fieldCodes{"Accounts": 60015, "AccountList": 70402}); err != nil {
		return nil, err
	}
	accts := make([]core.Account, 0, len(req.Accounts)+len(req.AccountList))
	for _, id := range req.Accounts {
		accts = append(accts, core.Account{ID: id})
	}
	for _, a := range req.AccountList {
		if a.UserID == nil {
			return nil, fail(70402, "AccountList item without UserID")
		}
		accts = append(accts, core.Account{ID: *a.UserID, Nick: a.Nick, FaceURL: a.FaceURL})
	}
	if len(accts) == 0 {
		return nil, fail(70402, "Accounts is missing or empty")
	}
	if len(accts) > maxAccountBatch {
		return nil, fail(70206, "more than 100 accounts in one request")
	}
	failed, err := h.svc.ImportAccounts(ctx, c.app.ID, accts)
	if err != nil {
		return nil, c.refuse(err)
	}
	return multiAccountImportResponse{envelope: okEnvelope, FailAccounts: failed}, nil
}

type userItem struct {
	UserID *string `json:"UserID"`
}

// itemIDs returns the UserIDs of a request's item list, refusing missing
// ones and lists that are empty or over the batch limit.
func itemIDs(items []userItem, name string) ([]string, *wireError) {
	if len(items) == 0 {
		return nil, fail(70402, name+" is missing or empty")
	}
	if len(items) > maxAccountBatch {
		return nil, fail(70206, "more than 100 items in "+name)
	}
	ids := make([]string, len(items))
	for i, it := range items {
		if it.UserID == nil {
			return nil, fail(70402, name+" item without UserID")
		}
		ids[i] = *it.UserID
	}
	return ids, nil
}

type resultItem struct {
	ResultCode    int    `json:"ResultCode"`
	ResultInfo    string `json:"ResultInfo"`
	UserID        string `json:"UserID"`
	AccountStatus string `json:"AccountStatus,omitempty"`
}

type resultItemsResponse struct {
	envelope   `json:",inline"`
	ResultItem []resultItem `json:"ResultItem"`
}

func (h *Handler) accountDelete(ctx context.Context, c *call) (any, *wireError) {
	var req struct {
		DeleteItem []userItem `json:"DeleteItem"`
	}
	if err := c.decode(&req, fieldCodes{"DeleteItem": 70402}); err != nil {
		return nil, err
	}
	ids, werr := itemIDs(req.DeleteItem, "DeleteItem")
	if werr != nil {
		return nil, werr
	}
	existed, err := h.svc.DeleteAccounts(ctx, c.app.ID, ids)
	if err != nil {
		return nil, c.refuse(err)
	}
	resp := resultItemsResponse{envelope: okEnvelope, ResultItem: make([]resultItem, len(ids))}
	for i, id := range ids {
		resp.ResultItem[i] = resultItem{UserID: id}
		if !existed[i] {
			resp.ResultItem[i].ResultCode = 70107
			resp.ResultItem[i].ResultInfo = "Err_TLS_PT_Open_Login_Account_Not_Exist"
		}
	}
	return resp, nil
}

func (h *Handler) accountCheck(ctx context.Context, c *call) (any, *wireError) {
	var req struct {
		CheckItem []userItem `json:"CheckItem"`
	}
	if err := c.decode(&req, fieldCodes{"CheckItem": 70402}); err != nil {
		return nil, err
	}
	ids, werr := itemIDs(req.CheckItem, "CheckItem")
	if werr != nil {
		return nil, werr
	}
	resp := resultItemsResponse{envelope: okEnvelope, ResultItem: make([]resultItem, len(ids))}
	for i, id := range ids {
		status := "NotImported"
		if h.svc.AccountExists(c.app.ID, id) {
			status = "Imported"
		}
		resp.ResultItem[i] = resultItem{UserID: id, AccountStatus: status}
	}
	return resp, nil
}

func (h *Handler) kick(ctx context.Context, c *call) (any, *wireError) {
	var req struct {
		UserID     *string `json:"UserID"`
		Identifier *string `json:"Identifier"` // legacy name of UserID
	}
	if err := c.decode(&req, accountFields); err != nil {
		return nil, err
	}
	id, ok := userID(req.UserID, req.Identifier)
	if !ok {
		return nil, fail(70402, "UserID is missing")
	}
	if err := h.svc.Kick(ctx, c.app.ID, id); err != nil {
		return nil, c.refuse(err)
	}
	return okEnvelope, nil
}

// maxStatusQuery bounds query_online_status.
const maxStatusQuery = 500

type statusRequest struct {
	ToAccount    []string `json:"To_Account"`
	IsNeedDetail int64    `json:"IsNeedDetail"`
}

type platformStatus struct {
	Platform string `json:"Platform"`
	Status   string `json:"Status"`
}

type accountError struct {
	ToAccount string `json:"To_Account"`
	ErrorCode int    `json:"ErrorCode"`
}

type onlineStatus struct {
	ToAccount string           `json:"To_Account"`
	Status    string           `json:"Status,omitempty"`
	State     string           `json:"State,omitempty"` // querystate's name for Status
	Detail    []platformStatus `json:"Detail,omitzero"`
}

type onlineStatusResponse struct {
	envelope    `json:",inline"`
	QueryResult []onlineStatus `json:"QueryResult"`
	ErrorList   []accountError `json:"ErrorList"`
}

func (h *Handler) queryOnlineStatus(ctx context.Context, c *call) (any, *wireError) {
	return h.onlineStatus(c, false)
}

// queryState is the older name of query_online_status: items say State.
func (h *Handler) queryState(ctx context.Context, c *call) (any, *wireError) {
	return h.onlineStatus(c, true)
}

func (h *Handler) onlineStatus(c *call, legacy bool) (any, *wireError) {
	var req statusRequest
	if err := c.decode(&req, fieldCodes{"To_Account": 90003}); err != nil {
		return nil, err
	}
	if len(req.ToAccount) == 0 {
		return nil, fail(90001, "To_Account is missing or empty")
	}
	if len(req.ToAccount) > maxStatusQuery {
		return nil, fail(90011, "more than 500 accounts in To_Account")
	}
	resp := onlineStatusResponse{envelope: okEnvelope, QueryResult: []onlineStatus{}, ErrorList: []accountError{}}
	for _, st := range h.svc.OnlineStatus(c.app.ID, req.ToAccount) {
		if !st.Exists {
			resp.ErrorList = append(resp.ErrorList, accountError{ToAccount: st.User, ErrorCode: 70107})
			continue
		}
		item := onlineStatus{ToAccount: st.User}
		if legacy {
			item.State = string(st.Status)
		} else {
			item.Status = string(st.Status)
		}
		if req.IsNeedDetail == 1 || legacy {
			item.Detail = make([]platformStatus, 0, len(st.Devices))
			for _, d := range st.Devices {
				item.Detail = append(item.Detail, platformStatus{Platform: d.Platform, Status: string(d.Status)})
			}
		}
		resp.QueryResult = append(resp.QueryResult, item)
	}
	if len(resp.QueryResult) == 0 {
		resp.envelope = envelope{ActionStatus: "FAIL", ErrorCode: 70107, ErrorInfo: "no account in To_Account is imported"}
	}
	return resp, nil
}
