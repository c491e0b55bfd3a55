import type { Identity } from '@plz/contracts';
import type { Request, Response } from 'express';
import type { z } from 'zod';
import { AppError } from '../errors.js';

/** Who may call a route: anyone, any user with a valid token, or admins only. */
export type Access = 'public' | 'user' | 'admin';

/** HTTP methods used by the API. */
export type Method = 'get' | 'head' | 'post' | 'put' | 'patch' | 'delete';

/** An answer documented in OpenAPI: a JSON schema, or another content type (streams). */
export interface ResponseDoc {
  description: string;
  schema?: z.ZodType;
  /** Defaults to application/json when `schema` is given. */
  contentType?: string;
}

/** What a handler may return: a status with an optional JSON body and headers. */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** What a handler receives: the parsed, validated parts of the request, the caller and the raw objects. */
export interface RouteContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /** The caller; null only on public routes. */
  identity: Identity | null;
  req: Request;
  res: Response;
}

/**
 * One endpoint, declared once: Express registers it from this (http/register.ts) and the OpenAPI
 * document is generated from it (openapi/document.ts), so they cannot drift apart.
 */
export interface Route<P = unknown, Q = unknown, B = unknown> {
  method: Method;
  /** Express path syntax: `/api/v1/executions/:id`. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  access: Access;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  /** A JSON body validated with this schema (absent body: `{}`). */
  body?: z.ZodType<B>;
  /** A body streamed by the handler itself (uploads), documented with this content type. */
  rawBody?: { contentType: string; description: string };
  responses: Record<number, ResponseDoc>;
  /** Returns a Reply, or nothing when it wrote the response itself (streams). */
  handle(context: RouteContext<P, Q, B>): Promise<Reply | void>;
}

/** A route of any types (what lists of routes hold). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRoute = Route<any, any, any>;

/** Declares a route with its handler's context typed from the schemas. */
export function route<P = Record<string, never>, Q = Record<string, never>, B = undefined>(definition: Route<P, Q, B>): AnyRoute {
  return definition;
}

/** The caller of a non-public route. @throws AppError `unauthenticated` on a public route (a wiring bug). */
export function caller(context: { identity: Identity | null }): Identity {
  if (!context.identity) throw new AppError('unauthenticated', 'this operation needs a bearer token');
  return context.identity;
}
