// `client.auth`: users, roles, permissions and the enabled flag (etcd's Auth API). Logging in
// is not here: a client given `auth: {user, password}` logs in on every link it opens (pool.ts).

import type { AuthStatusResult, PermissionType, ResponseHeader, RoleGetResult, RoleListResult, UserGetResult, UserListResult } from '@kite/protocol';
import type { CallOptions } from './invoker.js';
import { keyRange, type Bytes, type RangeSelector } from './kv.js';
import { strip, type Requester } from './requester.js';

type Header = { header: ResponseHeader };

export class AuthApi {
  constructor(private readonly client: Requester) {}

  async enable(opts: CallOptions = {}): Promise<Header> {
    return strip(await this.client.request('authEnable', {}, opts));
  }

  async disable(opts: CallOptions = {}): Promise<Header> {
    return strip(await this.client.request('authDisable', {}, opts));
  }

  async status(opts: CallOptions = {}): Promise<AuthStatusResult & Header> {
    return strip(await this.client.request('authStatus', {}, opts));
  }

  /** `password` null: a user without a password (identified by a client certificate's CN only). */
  async userAdd(name: string, password: string | null, opts: CallOptions = {}): Promise<Header> {
    return strip(await this.client.request('userAdd', password === null ? { name, noPassword: true } : { name, password }, opts));
  }

  async userDelete(name: string, opts: CallOptions = {}): Promise<Header> {
    return strip(await this.client.request('userDelete', { name }, opts));
  }

  async userGet(name: string, opts: CallOptions = {}): Promise<UserGetResult & Header> {
    return strip(await this.client.request('userGet', { name }, opts));
  }

  async userList(opts: CallOptions = {}): Promise<UserListResult & Header> {
    return strip(await this.client.request('userList', {}, opts));
  }

  async userChangePassword(name: string, password: string, opts: CallOptions = {}): Promise<Header> {
    return strip(await this.client.request('userChangePassword', { name, password }, opts));
  }

  async userGrantRole(name: string, role: string, opts: CallOptions = {}): Promise<Header> {
    return strip(await this.client.request('userGrantRole', { name, role }, opts));
  }

  async userRevokeRole(name: string, role: string, opts: CallOptions = {}): Promise<Header> {
    return strip(await this.client.request('userRevokeRole', { name, role }, opts));
  }

  async roleAdd(name: string, opts: CallOptions = {}): Promise<Header> {
    return strip(await this.client.request('roleAdd', { name }, opts));
  }

  async roleDelete(name: string, opts: CallOptions = {}): Promise<Header> {
    return strip(await this.client.request('roleDelete', { name }, opts));
  }

  async roleGet(name: string, opts: CallOptions = {}): Promise<RoleGetResult & Header> {
    return strip(await this.client.request('roleGet', { name }, opts));
  }

  async roleList(opts: CallOptions = {}): Promise<RoleListResult & Header> {
    return strip(await this.client.request('roleList', {}, opts));
  }

  /** A permission on `key`, or with `{prefix: true}` / `{rangeEnd}` / `{fromKey: true}` on a range. */
  async roleGrantPermission(name: string, type: PermissionType, key: Bytes, sel: RangeSelector & CallOptions = {}): Promise<Header> {
    return strip(await this.client.request('roleGrantPermission', { name, permission: { type, ...keyRange(key, sel) } }, sel));
  }

  async roleRevokePermission(name: string, key: Bytes, sel: RangeSelector & CallOptions = {}): Promise<Header> {
    return strip(await this.client.request('roleRevokePermission', { name, ...keyRange(key, sel) }, sel));
  }
}
