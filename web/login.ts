/**
 * Signs the officer in when the service answers 401: a small form posting to /api/auth/login,
 * which sets the httpOnly session cookie. Resolves once a session exists.
 */
export async function ensureSignedIn(): Promise<void> {
  const me = await fetch('/api/auth/me', { credentials: 'same-origin' });
  if (me.ok) return;
  if (me.status !== 401) throw new Error(`GET /api/auth/me answered ${me.status}`);

  const dialog = document.createElement('dialog');
  dialog.setAttribute('aria-labelledby', 'login-title');
  dialog.innerHTML = `
    <form method="dialog" class="login">
      <h2 id="login-title">Sign in to PledgeWatch</h2>
      <label>Email <input name="email" type="email" autocomplete="username" required /></label>
      <label>Password <input name="password" type="password" autocomplete="current-password" required /></label>
      <p class="login-error" role="alert"></p>
      <button type="submit">Sign in</button>
    </form>`;
  document.body.append(dialog);
  dialog.showModal();
  const form = dialog.querySelector('form');
  const errorLine = dialog.querySelector('.login-error');
  if (form === null || errorLine === null) throw new Error('login form missing');

  await new Promise<void>((resolve) => {
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const data = new FormData(form);
      fetch('/api/auth/login', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: data.get('email'), password: data.get('password') }),
      })
        .then(async (response) => {
          if (response.ok) {
            dialog.close();
            dialog.remove();
            resolve();
            return;
          }
          const body = (await response.json().catch(() => null)) as {
            error?: { message?: string };
          } | null;
          errorLine.textContent = body?.error?.message ?? `sign-in failed (${response.status})`;
        })
        .catch((error: unknown) => {
          errorLine.textContent = `cannot reach the service: ${String(error)}`;
        });
    });
  });
}
