package config

import (
	"fmt"
	"slices"
)

// minJWTSecret is the shortest JWT_SECRET production accepts: HS256 keys
// shorter than the hash output (32 bytes) weaken it (RFC 7518, 3.2).
const minJWTSecret = 32

// checkProduction refuses settings that are only acceptable on a developer
// machine. Each message names the key and says how to fix it; the first
// problem found is reported. skippedHint ends the message about having no
// provider (see providerSet.skippedHint).
func checkProduction(c *Config, winners map[string]value, skippedHint string) error {
	switch {
	case c.Auth.JWTSecret == "" && c.Auth.JWKSURL == "":
		return fmt.Errorf("config: JWT_SECRET is not set; production needs the HS256 secret shared with the token issuer, at least %d bytes (%s), or JWT_JWKS_URL (tokens signed by an identity provider)", minJWTSecret, keyHint)
	case c.Auth.JWTSecret != "" && len(c.Auth.JWTSecret) < minJWTSecret:
		return fmt.Errorf("config: %s is shorter than %d bytes; production needs a longer secret (%s)", winners["JWT_SECRET"].name(), minJWTSecret, keyHint)
	case len(c.Storage.EncryptionKey) == 0:
		return fmt.Errorf("config: ENCRYPTION_KEY is not set; production needs base64 of exactly 32 bytes to encrypt stored messages (%s)", keyHint)
	case len(c.WebSocket.AllowedOrigins) == 0:
		return fmt.Errorf("config: WS_ALLOWED_ORIGINS is empty; production must list the origins of the chat front-end, e.g. WS_ALLOWED_ORIGINS=https://chat.example.com (empty would let any website open sockets with its visitors' credentials)")
	case slices.Contains(c.WebSocket.AllowedOrigins, "*"):
		return fmt.Errorf("config: %s allows any origin (*); production must list the origins of the chat front-end, e.g. https://chat.example.com", winners["WS_ALLOWED_ORIGINS"].name())
	case slices.Contains(c.Server.CORSAllowedOrigins, "*"):
		return fmt.Errorf("config: %s allows any origin (*); production must list the admin front-end origins, e.g. https://admin.example.com, or be empty", winners["CORS_ALLOWED_ORIGINS"].name())
	case len(c.LLM.Providers) == 0:
		return fmt.Errorf("config: no LLM provider is configured; the demo model is for development only (set LLM_PROVIDER_1_TYPE=openai, LLM_PROVIDER_1_MODEL and LLM_PROVIDER_1_API_KEY, or add a [[llm.providers]] table)%s", skippedHint)
	}
	return nil
}
