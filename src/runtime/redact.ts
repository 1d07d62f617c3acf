const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):([^\s@/]+)@/gi;
const KEY_VALUE_SECRETS = /\b(password|pwd|secret|token)=([^;&\s]+)/gi;

/**
 * Hides passwords in anything the CLI prints: `scheme://user:secret@host` becomes
 * `scheme://user:***@host`, `password=secret` becomes `password=***`, and every string in
 * `secrets` (values of password-like keys of a JSON config) becomes `***`.
 */
export function redact(text: string, secrets: ReadonlySet<string> = new Set()): string {
  let out = text.replace(URL_CREDENTIALS, '$1:***@').replace(KEY_VALUE_SECRETS, '$1=***');
  for (const secret of secrets) if (secret.length >= 3) out = out.split(secret).join('***');
  return out;
}
