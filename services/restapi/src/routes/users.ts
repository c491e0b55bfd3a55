import { CreatedToken, CreateTokenRequest, CreateUserRequest, Identity, TokenInfo, UpdateUserRequest, User } from '@plz/contracts';
import { z } from 'zod';
import { caller, route, type AnyRoute } from '../http/route.js';
import type { Services } from '../runtime.js';
import { errors, IdParams, UserParams } from './schemas.js';

/** The caller's identity, and the admin operations on users and tokens. */
export function userRoutes(services: Services): AnyRoute[] {
  return [
    route({
      method: 'get',
      path: '/api/v1/me',
      tag: 'users',
      summary: 'Who the token belongs to',
      access: 'user',
      responses: { 200: { description: 'The caller', schema: Identity }, ...errors(401) },
      handle: async (context) => ({ status: 200, body: caller(context) }),
    }),
    route({
      method: 'post',
      path: '/api/v1/users',
      tag: 'users',
      summary: 'Create a user (admin)',
      access: 'admin',
      body: CreateUserRequest,
      responses: { 201: { description: 'Created', schema: User }, ...errors(400, 401, 403, 409, 415) },
      handle: async ({ body }) => ({ status: 201, body: await services.users.createUser(body) }),
    }),
    route({
      method: 'get',
      path: '/api/v1/users',
      tag: 'users',
      summary: 'List users (admin)',
      access: 'admin',
      responses: { 200: { description: 'Every user', schema: z.object({ users: z.array(User) }) }, ...errors(401, 403) },
      handle: async () => ({ status: 200, body: { users: await services.users.listUsers() } }),
    }),
    route({
      method: 'patch',
      path: '/api/v1/users/:name',
      tag: 'users',
      summary: "Change a user's settings (admin): their own allowance of high-priority executions per fair-share window, or null for the deployment's HIGH_PRIORITY_ALLOWANCE",
      access: 'admin',
      params: UserParams,
      body: UpdateUserRequest,
      responses: { 200: { description: 'The user as stored now', schema: User }, ...errors(400, 401, 403, 404, 415) },
      handle: async ({ params, body }) => ({ status: 200, body: await services.users.updateUser(params.name, body) }),
    }),
    ...(['disable', 'enable'] as const).map((action) =>
      route({
        method: 'post',
        path: `/api/v1/users/:name/${action}`,
        tag: 'users',
        summary:
          action === 'disable'
            ? "Disable a user (admin): their tokens and browser sessions stop working within AUTH_CACHE_SECONDS; their executions stay"
            : 'Enable a disabled user again (admin): their unrevoked tokens work again',
        access: 'admin',
        params: UserParams,
        responses: { 200: { description: 'The user as stored now', schema: User }, ...errors(400, 401, 403, 404) },
        handle: async ({ params }) => ({ status: 200, body: await services.users.setDisabled(params.name, action === 'disable') }),
      }),
    ),
    route({
      method: 'post',
      path: '/api/v1/users/:name/tokens',
      tag: 'users',
      summary: 'Create an API token for a user (admin); the token is shown only in this answer',
      access: 'admin',
      params: UserParams,
      body: CreateTokenRequest,
      responses: { 201: { description: 'Created; keep `token`, it is not stored', schema: CreatedToken }, ...errors(400, 401, 403, 404, 415) },
      handle: async ({ params, body }) => ({ status: 201, body: await services.users.createToken(params.name, body) }),
    }),
    route({
      method: 'get',
      path: '/api/v1/users/:name/tokens',
      tag: 'users',
      summary: "List a user's tokens, without their text (admin)",
      access: 'admin',
      params: UserParams,
      responses: { 200: { description: 'Tokens, revoked ones included', schema: z.object({ tokens: z.array(TokenInfo) }) }, ...errors(400, 401, 403, 404) },
      handle: async ({ params }) => ({ status: 200, body: { tokens: await services.users.listTokens(params.name) } }),
    }),
    route({
      method: 'delete',
      path: '/api/v1/tokens/:id',
      tag: 'users',
      summary: 'Revoke a token at once (admin)',
      access: 'admin',
      params: IdParams,
      responses: { 204: { description: 'Revoked' }, ...errors(400, 401, 403, 404) },
      handle: async ({ params }) => {
        await services.users.revokeToken(params.id);
        return { status: 204 };
      },
    }),
  ];
}
