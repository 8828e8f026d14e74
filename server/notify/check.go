package notify

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/nicholas-fedor/shoutrrr/pkg/router"
	"github.com/nicholas-fedor/shoutrrr/pkg/types"
)

// whyRefused says why shoutrrr refuses raw, in the words of the service's own check where it
// has some: shoutrrr's CreateSender drops that detail ("ntfy: failed to initialize service")
// and quotes the whole URL, secrets included, so its error is never shown. The answer may
// still hold parts of raw: scrub it before showing it.
func whyRefused(raw string) string {
	u, err := url.Parse(raw)
	if err != nil && strings.Contains(err.Error(), "invalid userinfo") {
		return "its user name or password holds characters a URL must percent-encode (a space as %20, é as %C3%A9, @ as %40)"
	}
	if err != nil || u.Scheme == "" {
		return "it is not a URL (service://…)"
	}
	service, _, custom := strings.Cut(strings.ToLower(u.Scheme), "+")
	var r router.ServiceRouter
	svc, err := r.NewService(service)
	if err != nil {
		return fmt.Sprintf("shoutrrr has no service %q", service)
	}
	if why := missingParams(service, u); why != "" {
		return why
	}
	cfgURL := u
	if custom {
		cs, ok := svc.(types.CustomURLService)
		if !ok {
			return fmt.Sprintf("the %s service takes no %s+… form", service, service)
		}
		if cfgURL, err = cs.GetConfigURLFromCustom(u); err != nil {
			return "its " + service + "+… form does not convert: " + err.Error()
		}
	}
	if err := svc.Initialize(cfgURL, nil); err != nil {
		return err.Error()
	}
	return "shoutrrr refused it without saying why"
}

// missingParams checks the parameters a service needs and shoutrrr names only by its field
// names ("toAddress missing from config URL").
func missingParams(service string, u *url.URL) string {
	if service != "smtp" {
		return ""
	}
	q := u.Query()
	var missing []string
	if q.Get("from") == "" && q.Get("fromaddress") == "" {
		missing = append(missing, "from= (the sender's address)")
	}
	if q.Get("to") == "" && q.Get("toaddresses") == "" {
		missing = append(missing, "to= (the recipients, comma separated)")
	}
	if len(missing) == 0 {
		return ""
	}
	return "the query parameter " + strings.Join(missing, " and ") + " is missing, as in smtp://user:password@host:587/?from=dash@example.org&to=me@example.org"
}

// serviceDocs maps a service to its section in shoutrrr's documentation.
var serviceDocs = map[string]string{
	"discord": "chat", "googlechat": "chat", "hangouts": "chat", "lark": "chat", "matrix": "chat", "mattermost": "chat",
	"rocketchat": "chat", "signal": "chat", "slack": "chat", "teams": "chat", "telegram": "chat", "wecom": "chat", "zulip": "chat",
	"smtp": "email",
	"bark": "push", "gotify": "push", "ifttt": "push", "join": "push", "ntfy": "push", "pushbullet": "push", "pushover": "push",
	"opsgenie": "incident", "pagerduty": "incident",
	"generic": "specialized", "logger": "specialized", "notifiarr": "specialized",
}

// docsURL is the page of shoutrrr's documentation that describes the URL of raw's service.
func docsURL(raw string) string {
	scheme, _, _ := strings.Cut(raw, "://")
	service, _, _ := strings.Cut(strings.ToLower(scheme), "+")
	if section, ok := serviceDocs[service]; ok {
		return "https://shoutrrr.nickfedor.com/latest/services/" + section + "/" + service + "/"
	}
	return "https://shoutrrr.nickfedor.com/latest/services/overview/"
}
