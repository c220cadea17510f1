package core

import (
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// MaxMessageBytes bounds one message: its body plus its custom data.
const MaxMessageBytes = 12 << 10

// The message body model is Tencent's element array (MsgBody): it is rich
// enough to carry every Agora message type too, so it is core's canonical
// form. A body is validated once, then kept as the raw JSON the sender wrote.

// Element types of a message body.
const (
	ElemText     = "TIMTextElem"
	ElemLocation = "TIMLocationElem"
	ElemFace     = "TIMFaceElem"
	ElemCustom   = "TIMCustomElem"
	ElemSound    = "TIMSoundElem"
	ElemImage    = "TIMImageElem"
	ElemFile     = "TIMFileElem"
	ElemVideo    = "TIMVideoFileElem"
	ElemRelay    = "TIMRelayElem"
)

type element struct {
	MsgType    *string        `json:"MsgType"`
	MsgContent jsontext.Value `json:"MsgContent"`
}

// A content struct lists an element type's known fields with their JSON
// types; pointers tell "absent" from zero. Unknown fields are kept, unchecked.
type (
	textContent struct {
		Text *string `json:"Text"`
	}
	locationContent struct {
		Desc      *string  `json:"Desc"`
		Latitude  *float64 `json:"Latitude"`
		Longitude *float64 `json:"Longitude"`
	}
	faceContent struct {
		Index *float64 `json:"Index"`
		Data  *string  `json:"Data"`
	}
	customContent struct {
		Data  *string `json:"Data"`
		Desc  *string `json:"Desc"`
		Ext   *string `json:"Ext"`
		Sound *string `json:"Sound"`
	}
	soundContent struct {
		URL          *string  `json:"Url"`
		UUID         *string  `json:"UUID"`
		Size         *float64 `json:"Size"`
		Second       *float64 `json:"Second"`
		DownloadFlag *float64 `json:"Download_Flag"`
	}
	imageInfo struct {
		Type   *float64 `json:"Type"`
		Size   *float64 `json:"Size"`
		Width  *float64 `json:"Width"`
		Height *float64 `json:"Height"`
		URL    *string  `json:"URL"`
	}
	imageContent struct {
		UUID           *string     `json:"UUID"`
		ImageFormat    *float64    `json:"ImageFormat"`
		ImageInfoArray []imageInfo `json:"ImageInfoArray"`
	}
	fileContent struct {
		URL          *string  `json:"Url"`
		UUID         *string  `json:"UUID"`
		FileSize     *float64 `json:"FileSize"`
		FileName     *string  `json:"FileName"`
		DownloadFlag *float64 `json:"Download_Flag"`
	}
	videoContent struct {
		VideoURL          *string  `json:"VideoUrl"`
		VideoUUID         *string  `json:"VideoUUID"`
		VideoSize         *float64 `json:"VideoSize"`
		VideoSecond       *float64 `json:"VideoSecond"`
		VideoFormat       *string  `json:"VideoFormat"`
		VideoDownloadFlag *float64 `json:"VideoDownloadFlag"`
		ThumbURL          *string  `json:"ThumbUrl"`
		ThumbUUID         *string  `json:"ThumbUUID"`
		ThumbSize         *float64 `json:"ThumbSize"`
		ThumbWidth        *float64 `json:"ThumbWidth"`
		ThumbHeight       *float64 `json:"ThumbHeight"`
		ThumbFormat       *string  `json:"ThumbFormat"`
		ThumbDownloadFlag *float64 `json:"ThumbDownloadFlag"`
	}
	relayContent struct {
		Title          *string          `json:"Title"`
		MsgNum         *int64           `json:"MsgNum"`
		CompatibleText *string          `json:"CompatibleText"`
		AbstractList   []string         `json:"AbstractList"`
		MsgList        []jsontext.Value `json:"MsgList"`
		JSONMsgKey     *string          `json:"JsonMsgKey"`
	}
)

// ValidateBody checks a message body: a non-empty array of elements, each an
// object with a known MsgType and a MsgContent object whose known fields have
// their documented types and whose required fields are present; at most one
// TIMCustomElem. A broken structure is Invalid with FieldBody; broken element
// content is Invalid with FieldContent.
func ValidateBody(raw []byte) error {
	var elems []jsontext.Value
	if err := json.Unmarshal(raw, &elems); err != nil {
		return &Error{Kind: Invalid, Field: FieldBody, Reason: "body is not an array", Err: err}
	}
	if len(elems) == 0 {
		return Errorf(Invalid, FieldBody, "body has no elements")
	}
	customs := 0
	for i, ev := range elems {
		var e element
		if ev.Kind() != '{' {
			return Errorf(Invalid, FieldBody, "element %d is not an object", i)
		}
		if err := json.Unmarshal(ev, &e); err != nil {
			return &Error{Kind: Invalid, Field: FieldBody, Reason: "bad element", Err: err}
		}
		if e.MsgType == nil {
			return Errorf(Invalid, FieldBody, "element %d has no MsgType", i)
		}
		if e.MsgContent.Kind() != '{' {
			return Errorf(Invalid, FieldContent, "element %d: MsgContent is not an object", i)
		}
		if *e.MsgType == ElemCustom {
			customs++
			if customs > 1 {
				return Errorf(Invalid, FieldContent, "more than one %s", ElemCustom)
			}
		}
		if err := validateContent(*e.MsgType, e.MsgContent); err != nil {
			return err
		}
	}
	return nil
}

func validateContent(typ string, raw jsontext.Value) error {
	bad := func(format string, args ...any) error {
		return Errorf(Invalid, FieldContent, typ+": "+format, args...)
	}
	decode := func(v any) error {
		if err := json.Unmarshal(raw, v); err != nil {
			return &Error{Kind: Invalid, Field: FieldContent, Reason: typ, Err: err}
		}
		return nil
	}
	switch typ {
	case ElemText:
		var c textContent
		if err := decode(&c); err != nil {
			return err
		}
		if c.Text == nil {
			return bad("no Text")
		}
	case ElemLocation:
		var c locationContent
		if err := decode(&c); err != nil {
			return err
		}
		if c.Latitude == nil || c.Longitude == nil {
			return bad("no Latitude or Longitude")
		}
	case ElemFace:
		var c faceContent
		if err := decode(&c); err != nil {
			return err
		}
		if c.Index == nil {
			return bad("no Index")
		}
	case ElemCustom:
		var c customContent
		return decode(&c)
	case ElemSound:
		var c soundContent
		if err := decode(&c); err != nil {
			return err
		}
		if c.UUID == nil {
			return bad("no UUID")
		}
	case ElemImage:
		var c imageContent
		if err := decode(&c); err != nil {
			return err
		}
		if c.UUID == nil || len(c.ImageInfoArray) == 0 {
			return bad("no UUID or ImageInfoArray")
		}
		for _, info := range c.ImageInfoArray {
			if info.URL == nil || info.Width == nil || info.Height == nil {
				return bad("image info needs URL, Width and Height")
			}
		}
	case ElemFile:
		var c fileContent
		if err := decode(&c); err != nil {
			return err
		}
		if c.UUID == nil {
			return bad("no UUID")
		}
	case ElemVideo:
		var c videoContent
		if err := decode(&c); err != nil {
			return err
		}
		if c.VideoUUID == nil || c.VideoURL == nil || c.ThumbUUID == nil || c.ThumbURL == nil ||
			c.ThumbWidth == nil || c.ThumbHeight == nil {
			return bad("needs VideoUrl, VideoUUID, ThumbUrl, ThumbUUID, ThumbWidth and ThumbHeight")
		}
	case ElemRelay:
		var c relayContent
		if err := decode(&c); err != nil {
			return err
		}
		if c.MsgList == nil && c.JSONMsgKey == nil {
			return bad("needs MsgList or JsonMsgKey")
		}
	default:
		return Errorf(Invalid, FieldBody, "unknown MsgType %q", typ)
	}
	return nil
}

type (
	androidPush struct {
		Sound                  *string `json:"Sound"`
		HuaWeiChannelID        *string `json:"HuaWeiChannelID"`
		XiaoMiChannelID        *string `json:"XiaoMiChannelID"`
		OPPOChannelID          *string `json:"OPPOChannelID"`
		GoogleChannelID        *string `json:"GoogleChannelID"`
		VIVOClassification     *int64  `json:"VIVOClassification"`
		HuaWeiImportance       *string `json:"HuaWeiImportance"`
		ExtAsHuaweiIntentParam *int64  `json:"ExtAsHuaweiIntentParam"`
		HuaWeiCategory         *string `json:"HuaWeiCategory"`
		PushStyle              *int64  `json:"PushStyle"`
		VIVOCategory           *string `json:"VIVOCategory"`
		HuaWeiImage            *string `json:"HuaWeiImage"`
		HonorImage             *string `json:"HonorImage"`
		HonorImportance        *string `json:"HonorImportance"`
		GoogleImage            *string `json:"GoogleImage"`
	}
	apnsPush struct {
		Sound             *string `json:"Sound"`
		BadgeMode         *int64  `json:"BadgeMode"`
		Title             *string `json:"Title"`
		SubTitle          *string `json:"SubTitle"`
		Image             *string `json:"Image"`
		MutableContent    *int64  `json:"MutableContent"`
		InterruptionLevel *string `json:"InterruptionLevel"`
		ContentAvailable  *int64  `json:"ContentAvailable"`
	}
	offlinePush struct {
		PushFlag    *int64       `json:"PushFlag"`
		Title       *string      `json:"Title"`
		Desc        *string      `json:"Desc"`
		Ext         *string      `json:"Ext"`
		AndroidInfo *androidPush `json:"AndroidInfo"`
		ApnsInfo    *apnsPush    `json:"ApnsInfo"`
	}
)

// ValidateOfflinePush checks an OfflinePushInfo object: an object whose known
// fields have their documented types. A refusal is Invalid with FieldPush.
func ValidateOfflinePush(raw []byte) error {
	if jsontext.Value(raw).Kind() != '{' {
		return Errorf(Invalid, FieldPush, "offline push info is not an object")
	}
	var p offlinePush
	if err := json.Unmarshal(raw, &p); err != nil {
		return &Error{Kind: Invalid, Field: FieldPush, Reason: "bad offline push info", Err: err}
	}
	return nil
}
