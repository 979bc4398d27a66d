// innohub's dashboard (not vendored; no build step): signs in with a bearer token (pasted,
// `#token=…` in the URL, or OIDC authorization code + PKCE when the server names an identity
// provider), reads the status overview, the backlog, the quarterly history, the innovation
// funnel and the cross-municipal overview over GraphQL, and re-reads them when the
// `backlogChanged` subscription (graphql-transport-ws over a WebSocket on /graphql) says the
// backlog changed. `Chart` is the global of the vendored Chart.js UMD build loaded before it.
(function () {
  'use strict';

  var TOKEN_KEY = 'innohub.dashboard.token';
  var LOGIN_KEY = 'innohub.dashboard.login';
  var PHASES = ['IDEA', 'PRE_ANALYSIS', 'SPECIFICATION', 'DEVELOPMENT', 'IMPLEMENTATION',
    'OPERATION', 'DECOMMISSIONED'];
  var STATUSES = ['NOT_ASSESSED', 'IN_PROGRESS', 'ON_HOLD', 'REJECTED', 'FAILED', 'NOT_RELEVANT'];
  var STATUS_COLOURS = {
    NOT_ASSESSED: '#9aa3b2', IN_PROGRESS: '#1f5fbf', ON_HOLD: '#d49b00',
    REJECTED: '#b3261e', FAILED: '#6d1a36', NOT_RELEVANT: '#c9ced8',
  };
  var PHASE_COLOURS = ['#c9d8f0', '#9dbbe8', '#6f9bdc', '#4479c9', '#2a5ca8', '#1b7f4b',
    '#7d8594'];
  var FUNNEL_STEPS = {
    IDEAS_SUBMITTED: 'Ideas submitted',
    IDEAS_REACHED_DESIGNING: 'Reached designing',
    PILOTS_PLANNED: 'Pilots planned',
    IN_OPERATION: 'In operation',
  };
  // How long to gather change notifications before reading again.
  var DEBOUNCE_MS = 250;

  var QUERY = [
    'query Dashboard($m: ID!, $from: NaiveDate!, $to: NaiveDate!, $c: String) {',
    '  statusOverview(consistency: $c) { municipality cells { department phase status count } }',
    '  backlog(first: 20, consistency: $c) {',
    '    totalCount',
    '    edges { node { id title municipality phase status priorityScore backlogRank',
    '      hoursSavedPerYear } }',
    '  }',
    '  statusHistory(municipality: $m, from: $from, to: $to, consistency: $c) {',
    '    quarter cells { phase status count }',
    '  }',
    '  innovationFunnel(consistency: $c) { steps { step count conversion } }',
    '  crossMunicipalOverview(first: 0, consistency: $c) {',
    '    scheme code municipalitiesInOperation municipalities processCount',
    '    hoursSavedInOperation itSystems { name count }',
    '  }',
    '}',
  ].join('\n');
  var ME = 'query Me { me { user municipality department roles } }';
  var SUBSCRIPTION = 'subscription Backlog { backlogChanged { municipality consistencyToken } }';

  var $ = function (id) { return document.getElementById(id); };
  var state = {
    token: null,
    me: null,
    data: null,
    charts: {},
    consistency: null,
    refreshTimer: null,
    reading: false,
    readAgain: false,
    socket: null,
    retry: 0,
    reconnectTimer: null,
    refreshes: 0,
    previousOrder: [],
    loginProblem: null,
  };

  // ---- small helpers -------------------------------------------------------------------

  function humanise(name) {
    if (!name) return '—';
    var words = String(name).toLowerCase().replace(/_/g, ' ');
    return words.charAt(0).toUpperCase() + words.slice(1);
  }

  function ordered(known, present) {
    var extra = present.filter(function (v) { return known.indexOf(v) < 0; }).sort();
    return known.filter(function (v) { return present.indexOf(v) >= 0; }).concat(extra);
  }

  function number(n, digits) {
    return Number(n).toLocaleString('en-GB', { maximumFractionDigits: digits || 0 });
  }

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function showAlert(message) {
    var alert = $('alert');
    alert.textContent = message || '';
    alert.hidden = !message;
  }

  function setLive(what, text) {
    var live = $('live');
    live.dataset.state = what;
    live.textContent = text;
    document.body.dataset.live = what;
  }

  function reducedMotion() {
    return window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches;
  }

  // ---- GraphQL over HTTP ---------------------------------------------------------------

  function GraphqlError(message, code) {
    this.message = message;
    this.code = code;
  }

  function codeOf(error) {
    return (error && error.extensions && error.extensions.code) || null;
  }

  function gql(query, variables) {
    return fetch('/graphql', {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json',
        Authorization: 'Bearer ' + state.token,
      },
      body: JSON.stringify({ query: query, variables: variables || {} }),
      credentials: 'omit',
    }).then(function (response) {
      return response.json().catch(function () {
        throw new GraphqlError('The server answered ' + response.status + ' without JSON.', null);
      });
    }).then(function (body) {
      var errors = body.errors || [];
      var unauthenticated = errors.filter(function (e) {
        return codeOf(e) === 'UNAUTHENTICATED';
      })[0];
      if (unauthenticated) throw new GraphqlError(unauthenticated.message, 'UNAUTHENTICATED');
      if (!body.data) {
        var first = errors[0] || { message: 'no data in the answer' };
        throw new GraphqlError(first.message, codeOf(first));
      }
      return body;
    });
  }

  // ---- signing in ----------------------------------------------------------------------

  function showSignIn(message) {
    stopLive();
    state.token = null;
    state.me = null;
    sessionStorage.removeItem(TOKEN_KEY);
    $('board').hidden = true;
    $('who').hidden = true;
    $('sign-out').hidden = true;
    $('sign-in').hidden = false;
    showAlert(message || state.loginProblem || '');
    setLive('off', 'Not connected');
    document.body.dataset.state = 'signed-out';
    $('token-input').focus();
  }

  function signIn(token) {
    state.token = token.trim().replace(/^Bearer\s+/i, '');
    sessionStorage.setItem(TOKEN_KEY, state.token);
    document.body.dataset.state = 'loading';
    showAlert('');
    return gql(ME).then(function (body) {
      state.me = body.data.me;
      $('sign-in').hidden = true;
      $('board').hidden = false;
      $('sign-out').hidden = false;
      var who = $('who');
      who.textContent = state.me.user + ' · ' + state.me.municipality;
      who.hidden = false;
      return refresh().then(connectLive);
    }).catch(function (e) {
      if (e.code === 'UNAUTHENTICATED') {
        showSignIn('The token was not accepted (' + e.message + '). Paste a valid token.');
      } else {
        showSignIn('Could not sign in: ' + e.message);
      }
    });
  }

  function base64url(bytes) {
    var text = '';
    for (var i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
    return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function randomString() {
    var bytes = new Uint8Array(32);
    crypto.getRandomValues(bytes);
    return base64url(bytes);
  }

  function redirectUri() {
    return location.origin + location.pathname;
  }

  // OIDC authorization code flow with PKCE (RFC 7636): to the identity provider and back.
  function startLogin(login) {
    var verifier = randomString();
    var stateParam = randomString();
    crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)).then(function (hash) {
      sessionStorage.setItem(LOGIN_KEY, JSON.stringify({ verifier: verifier, state: stateParam }));
      var params = new URLSearchParams({
        response_type: 'code',
        client_id: login.clientId,
        redirect_uri: redirectUri(),
        scope: login.scope,
        state: stateParam,
        code_challenge: base64url(new Uint8Array(hash)),
        code_challenge_method: 'S256',
      });
      var separator = login.authorizationEndpoint.indexOf('?') < 0 ? '?' : '&';
      location.assign(login.authorizationEndpoint + separator + params.toString());
    });
  }

  function finishLogin(login, params) {
    var pending = JSON.parse(sessionStorage.getItem(LOGIN_KEY) || 'null');
    sessionStorage.removeItem(LOGIN_KEY);
    history.replaceState(null, '', location.pathname);
    if (params.get('error')) {
      return Promise.reject(new Error(params.get('error_description') || params.get('error')));
    }
    if (!pending || pending.state !== params.get('state')) {
      return Promise.reject(new Error('the sign-in answer does not match this tab; try again'));
    }
    return fetch(login.tokenEndpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: params.get('code'),
        redirect_uri: redirectUri(),
        client_id: login.clientId,
        code_verifier: pending.verifier,
      }).toString(),
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok || !body.access_token) {
          throw new Error(body.error_description || body.error || 'HTTP ' + response.status);
        }
        return body.access_token;
      });
    });
  }

  // ---- reading and drawing -------------------------------------------------------------

  function isoDate(date) {
    return date.toISOString().slice(0, 10);
  }

  // The current quarter and the seven before it.
  function historySpan() {
    var now = new Date();
    var quarter = Math.floor(now.getUTCMonth() / 3);
    var end = new Date(Date.UTC(now.getUTCFullYear(), quarter * 3 + 3, 0));
    var start = new Date(Date.UTC(now.getUTCFullYear(), quarter * 3 - 21, 1));
    return { from: isoDate(start), to: isoDate(end) };
  }

  function refresh() {
    if (state.reading) {
      state.readAgain = true;
      return Promise.resolve();
    }
    state.reading = true;
    var span = historySpan();
    return gql(QUERY, {
      m: state.me.municipality, from: span.from, to: span.to, c: state.consistency,
    }).then(function (body) {
      state.data = body.data;
      showErrors(body.errors || []);
      draw();
      state.refreshes += 1;
      document.body.dataset.refreshes = String(state.refreshes);
      document.body.dataset.state = 'ready';
      $('updated').textContent = 'Updated ' + new Date().toLocaleTimeString('en-GB');
    }).catch(function (e) {
      if (e.code === 'UNAUTHENTICATED') {
        showSignIn('Your token is no longer accepted (' + e.message + '). Paste a new one.');
      } else {
        showAlert('Could not read the dashboard: ' + e.message);
        document.body.dataset.state = 'error';
      }
    }).then(function () {
      state.reading = false;
      if (state.readAgain) {
        state.readAgain = false;
        return refresh();
      }
    });
  }

  function showErrors(errors) {
    var bySection = {};
    var general = [];
    errors.forEach(function (e) {
      var section = e.path && e.path[0];
      if (section) {
        bySection[section] = bySection[section] || e.message;
      } else {
        general.push(e.message);
      }
    });
    Array.prototype.forEach.call(document.querySelectorAll('.error[data-for]'), function (p) {
      var message = bySection[p.dataset.for];
      p.textContent = message ? 'Not available: ' + message : '';
      p.hidden = !message;
    });
    showAlert(general.join(' '));
  }

  function chart(id, config) {
    var existing = state.charts[id];
    if (existing) {
      existing.data = config.data;
      existing.update(reducedMotion() ? 'none' : undefined);
      return existing;
    }
    config.options = Object.assign({
      responsive: true,
      maintainAspectRatio: false,
      animation: reducedMotion() ? false : { duration: 300 },
    }, config.options || {});
    state.charts[id] = new Chart($(id), config);
    return state.charts[id];
  }

  function draw() {
    var d = state.data || {};
    if (d.statusOverview) drawStatus(d.statusOverview);
    if (d.backlog) drawBacklog(d.backlog);
    if (d.statusHistory) drawHistory(d.statusHistory);
    if (d.innovationFunnel) drawFunnel(d.innovationFunnel);
    if (d.crossMunicipalOverview) drawCross(d.crossMunicipalOverview);
  }

  function drawStatus(overview) {
    var select = $('department');
    var chosen = select.value;
    var departments = overview.cells.map(function (c) { return c.department; })
      .filter(function (d, i, all) { return d && all.indexOf(d) === i; }).sort();
    while (select.options.length > 1) select.remove(1);
    departments.forEach(function (d) { select.add(new Option(d, d)); });
    select.value = departments.indexOf(chosen) >= 0 ? chosen : '';
    select.disabled = departments.length === 0;
    var cells = overview.cells.filter(function (c) {
      return !select.value || c.department === select.value;
    });
    var phases = ordered(PHASES.slice(0, 6), cells.map(function (c) { return c.phase; }));
    if (phases.length === 0) phases = PHASES.slice(0, 6);
    var statuses = ordered(STATUSES, cells.map(function (c) { return c.status; }));
    var datasets = statuses.map(function (status) {
      return {
        label: humanise(status),
        status: status,
        backgroundColor: STATUS_COLOURS[status] || '#888',
        data: phases.map(function (phase) {
          return cells.filter(function (c) { return c.phase === phase && c.status === status; })
            .reduce(function (sum, c) { return sum + c.count; }, 0);
        }),
      };
    });
    chart('status-chart', {
      type: 'bar',
      data: { labels: phases.map(humanise), phases: phases, datasets: datasets },
      options: {
        scales: {
          x: { stacked: true },
          y: { stacked: true, beginAtZero: true, ticks: { precision: 0 },
            title: { display: true, text: 'Processes' } },
        },
        plugins: { legend: { position: 'bottom' } },
      },
    });
  }

  function drawBacklog(backlog) {
    var rows = backlog.edges.map(function (e) { return e.node; });
    $('backlog-total').textContent = backlog.totalCount === rows.length
      ? rows.length + ' open processes.'
      : 'The first ' + rows.length + ' of ' + backlog.totalCount + ' open processes.';
    var body = $('backlog').tBodies[0];
    var previous = state.previousOrder;
    body.replaceChildren();
    if (rows.length === 0) {
      var empty = el('tr');
      var cell = el('td', 'The backlog is empty.', 'empty');
      cell.colSpan = 6;
      empty.appendChild(cell);
      body.appendChild(empty);
    }
    rows.forEach(function (p, i) {
      var tr = el('tr');
      tr.dataset.id = p.id;
      if (previous.length && previous.indexOf(p.id) !== i) tr.className = 'changed';
      var rank = el('td', p.backlogRank ? p.backlogRank : '–', 'num');
      rank.title = p.backlogRank ? 'Ranked explicitly' : 'Not ranked: ordered by priority score';
      tr.appendChild(rank);
      tr.appendChild(el('td', p.title));
      var phase = el('td');
      phase.appendChild(el('span', humanise(p.phase), 'badge'));
      tr.appendChild(phase);
      tr.appendChild(el('td', humanise(p.status)));
      tr.appendChild(el('td', number(p.priorityScore, 1), 'num'));
      tr.appendChild(el('td', number(p.hoursSavedPerYear), 'num'));
      body.appendChild(tr);
    });
    state.previousOrder = rows.map(function (p) { return p.id; });
  }

  function drawHistory(quarters) {
    var present = [];
    quarters.forEach(function (q) {
      q.cells.forEach(function (c) { if (present.indexOf(c.phase) < 0) present.push(c.phase); });
    });
    var phases = ordered(PHASES, present);
    chart('history-chart', {
      type: 'bar',
      data: {
        labels: quarters.map(function (q) { return q.quarter; }),
        datasets: phases.map(function (phase) {
          return {
            label: humanise(phase),
            backgroundColor: PHASE_COLOURS[PHASES.indexOf(phase)] || '#888',
            data: quarters.map(function (q) {
              return q.cells.filter(function (c) { return c.phase === phase; })
                .reduce(function (sum, c) { return sum + c.count; }, 0);
            }),
          };
        }),
      },
      options: {
        scales: {
          x: { stacked: true },
          y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } },
        },
        plugins: { legend: { position: 'bottom' } },
      },
    });
  }

  function drawFunnel(funnel) {
    var steps = funnel.steps;
    chart('funnel-chart', {
      type: 'bar',
      data: {
        labels: steps.map(function (s) { return FUNNEL_STEPS[s.step] || humanise(s.step); }),
        datasets: [{
          label: 'Count',
          data: steps.map(function (s) { return s.count; }),
          backgroundColor: ['#9dbbe8', '#6f9bdc', '#2a5ca8', '#1b7f4b'],
        }],
      },
      options: {
        indexAxis: 'y',
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { display: false } },
      },
    });
    var list = $('funnel');
    list.replaceChildren();
    steps.forEach(function (s) {
      var li = el('li');
      li.appendChild(el('span', FUNNEL_STEPS[s.step] || humanise(s.step)));
      var figure = number(s.count);
      if (s.conversion !== null && s.conversion !== undefined) {
        figure += ' (' + number(s.conversion, 0) + ' % of the step before)';
      }
      li.appendChild(el('span', figure, 'num'));
      list.appendChild(li);
    });
  }

  function drawCross(groups) {
    var body = $('cross').tBodies[0];
    body.replaceChildren();
    if (groups.length === 0) {
      var empty = el('tr');
      var cell = el('td', 'Nothing is shared with you yet.', 'empty');
      cell.colSpan = 6;
      empty.appendChild(cell);
      body.appendChild(empty);
    }
    groups.forEach(function (g) {
      var tr = el('tr');
      tr.appendChild(el('td', g.scheme ? g.scheme + ' ' + g.code : 'Unclassified'));
      tr.appendChild(el('td', number(g.municipalitiesInOperation), 'num'));
      tr.appendChild(el('td', number(g.municipalities), 'num'));
      tr.appendChild(el('td', number(g.processCount), 'num'));
      tr.appendChild(el('td', number(g.hoursSavedInOperation), 'num'));
      tr.appendChild(el('td', g.itSystems.map(function (u) { return u.name; }).join(', ')));
      body.appendChild(tr);
    });
  }

  function scheduleRefresh() {
    clearTimeout(state.refreshTimer);
    state.refreshTimer = setTimeout(refresh, DEBOUNCE_MS);
  }

  // ---- live updates: graphql-transport-ws ----------------------------------------------

  function stopLive() {
    clearTimeout(state.reconnectTimer);
    clearTimeout(state.refreshTimer);
    if (state.socket) {
      var socket = state.socket;
      state.socket = null;
      socket.onclose = null;
      socket.close(1000, 'signed out');
    }
  }

  function connectLive() {
    if (!state.token || state.socket) return;
    var scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
    var socket = new WebSocket(scheme + location.host + '/graphql', 'graphql-transport-ws');
    state.socket = socket;
    setLive('connecting', 'Connecting…');
    var send = function (message) { socket.send(JSON.stringify(message)); };
    socket.onopen = function () {
      send({ type: 'connection_init', payload: { Authorization: 'Bearer ' + state.token } });
    };
    socket.onmessage = function (event) {
      var message;
      try {
        message = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      switch (message.type) {
        case 'connection_ack':
          send({ id: 'backlog', type: 'subscribe', payload: { query: SUBSCRIPTION } });
          setLive('live', 'Live');
          // Changes while we were away are not replayed: read again after a reconnect.
          if (state.retry > 0) scheduleRefresh();
          state.retry = 0;
          break;
        case 'ping':
          send({ type: 'pong' });
          break;
        case 'next':
          if (message.payload && message.payload.errors) {
            showAlert('Live updates: ' + message.payload.errors[0].message);
          }
          var change = message.payload && message.payload.data &&
            message.payload.data.backlogChanged;
          if (change) {
            state.consistency = change.consistencyToken;
            scheduleRefresh();
          }
          break;
        case 'error':
          setLive('failed', 'Live updates refused');
          showAlert('Live updates refused: ' + ((message.payload && message.payload[0] &&
            message.payload[0].message) || 'unknown error'));
          break;
        case 'complete':
          setLive('failed', 'Live updates ended');
          break;
        default:
          break;
      }
    };
    socket.onclose = function (event) {
      if (state.socket !== socket) return;
      state.socket = null;
      if (event.code === 4401 || event.code === 4403) {
        var why = event.code === 4401 ? 'Your token has expired' : 'Your token was refused';
        showSignIn(why + (event.reason ? ' (' + event.reason + ')' : '') +
          '. Paste a new one to continue.');
        return;
      }
      // Anything else (a restart, the network): try again, slower each time, 30 s at most.
      state.retry += 1;
      var wait = Math.min(30000, 1000 * Math.pow(2, state.retry - 1));
      setLive('connecting', 'Reconnecting in ' + Math.round(wait / 1000) + ' s…');
      state.reconnectTimer = setTimeout(connectLive, wait);
    };
  }

  // ---- start ---------------------------------------------------------------------------

  // The identity provider to sign in with, if the server names one: its endpoints from its
  // discovery document (the page's policy allows requests to the issuer's origin).
  function loginConfig() {
    return fetch('/dashboard/config.json', { credentials: 'omit' })
      .then(function (r) { return r.ok ? r.json() : {}; })
      .then(function (config) {
        var login = config.login;
        if (!login) return null;
        var issuer = login.issuer.replace(/\/+$/, '');
        return fetch(issuer + '/.well-known/openid-configuration', { credentials: 'omit' })
          .then(function (r) {
            if (!r.ok) throw new Error('HTTP ' + r.status);
            return r.json();
          })
          .then(function (discovery) {
            if (discovery.issuer.replace(/\/+$/, '') !== issuer) {
              throw new Error('the discovery document names another issuer');
            }
            return {
              name: new URL(issuer).host,
              clientId: login.clientId,
              scope: login.scope,
              authorizationEndpoint: discovery.authorization_endpoint,
              tokenEndpoint: discovery.token_endpoint,
            };
          })
          .catch(function (e) {
            state.loginProblem = 'Signing in at ' + issuer + ' is not available (' + e.message +
              '); paste a token instead.';
            return null;
          });
      })
      .catch(function () { return null; });
  }

  function start() {
    $('token-form').addEventListener('submit', function (event) {
      event.preventDefault();
      var token = $('token-input').value.trim();
      if (token) {
        $('token-input').value = '';
        signIn(token);
      }
    });
    $('sign-out').addEventListener('click', function () { showSignIn(''); });
    $('department').addEventListener('change', function () {
      if (state.data && state.data.statusOverview) drawStatus(state.data.statusOverview);
    });

    // `#token=…`: take it and take it out of the address bar (and so of the history).
    var fragment = new URLSearchParams(location.hash.replace(/^#/, ''));
    if (fragment.get('token')) {
      sessionStorage.setItem(TOKEN_KEY, fragment.get('token'));
      history.replaceState(null, '', location.pathname + location.search);
    }
    var query = new URLSearchParams(location.search);

    loginConfig().then(function (login) {
      if (login) {
        $('oidc-login').hidden = false;
        $('oidc-button').textContent = 'Sign in with ' + (login.name || 'your organisation');
        $('oidc-button').addEventListener('click', function () { startLogin(login); });
        if (query.get('code') || query.get('error')) {
          return finishLogin(login, query).then(signIn, function (e) {
            showSignIn('Signing in failed: ' + e.message);
          });
        }
      }
      var token = sessionStorage.getItem(TOKEN_KEY);
      if (token) return signIn(token);
      showSignIn('');
    });
  }

  start();
})();
