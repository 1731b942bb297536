import { Body, Controller, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type AccountCaller, CurrentCaller } from '../../../core/auth/caller.js';
import { UuidParam } from '../../../core/http/uuid-param.pipe.js';
import { Authorize, problem } from '../../rbac/index.js';
import {
  ListNoticesQuery,
  NoticeDetailDto,
  NoticePage,
  NoticePreferencesDto,
  NoticeSettingsDto,
  UpdateNoticePreferencesDto,
  UpdateNoticeSettingsDto,
} from '../dto/notice.dto.js';
import { NoticesService } from './notices.service.js';

@ApiTags('Notices')
@Controller('v1/notices')
export class NoticesController {
  constructor(private readonly notices: NoticesService) {}

  @Get()
  @Authorize('integrations.view')
  @ApiOperation({
    summary: 'Notices about connections that need attention',
    description:
      'Open and closed notices of the account’s shared connections in the caller’s mode, newest first: a connection expired or in error, a token nothing can refresh expiring soon, syncs failing in a row. Filter with `status`, `provider`, `cause`, `connectionId`.',
  })
  @ApiOkResponse({ type: NoticePage })
  list(@CurrentCaller() caller: AccountCaller, @Query() query: ListNoticesQuery) {
    return this.notices.list(caller, query);
  }

  @Get('settings')
  @Authorize('integrations.view')
  @ApiOperation({
    summary: 'How notices are emailed',
    description: 'The email provider the account chose in the caller’s mode, and the providers it may choose from.',
  })
  @ApiOkResponse({ type: NoticeSettingsDto })
  settings(@CurrentCaller() caller: AccountCaller) {
    return this.notices.settings(caller);
  }

  @Put('settings')
  @Authorize('integrations.manage')
  @ApiOperation({
    summary: 'Choose how notices are emailed',
    description:
      'The connected email provider that emails notices to members holding `integrations.manage` (`emailProvider`, with `emailFrom` for providers that need a sender). Notices reach Slack through the Slack connection’s own routing of `integration.attention_needed`. Omitted fields stay; `null` clears one. Audited.',
  })
  @ApiOkResponse({ type: NoticeSettingsDto })
  updateSettings(@CurrentCaller() caller: AccountCaller, @Body() dto: UpdateNoticeSettingsDto) {
    return this.notices.updateSettings(caller, dto);
  }

  @Get('preferences')
  @Authorize('integrations.view')
  @ApiOperation({ summary: 'Which notices reach me', description: 'The calling member’s own preferences; API keys have none (403).' })
  @ApiOkResponse({ type: NoticePreferencesDto })
  preferences(@CurrentCaller() caller: AccountCaller) {
    return this.notices.preferences(caller);
  }

  @Put('preferences')
  @Authorize('integrations.view')
  @ApiOperation({
    summary: 'Choose which notices reach me',
    description: 'The calling member turns notice emails off, or mutes causes or providers. Omitted fields stay. API keys have none (403).',
  })
  @ApiOkResponse({ type: NoticePreferencesDto })
  updatePreferences(@CurrentCaller() caller: AccountCaller, @Body() dto: UpdateNoticePreferencesDto) {
    return this.notices.updatePreferences(caller, dto);
  }

  @Get(':id')
  @Authorize('integrations.view')
  @ApiOperation({
    summary: 'One notice with its messages',
    description: 'The notice and each email sent (or being sent) about it, with attempts and errors.',
  })
  @ApiOkResponse({ type: NoticeDetailDto })
  @problem(404, 'No such notice in this account and mode')
  get(@CurrentCaller() caller: AccountCaller, @Param('id', UuidParam) id: string) {
    return this.notices.get(caller, id);
  }

  @Post(':id/dismiss')
  @HttpCode(200)
  @Authorize('integrations.manage')
  @ApiOperation({
    summary: 'Dismiss a notice',
    description:
      'Closes it (resolution `dismissed`, who dismissed it in `closedBy`) and cancels its messages not sent yet. The same cause does not open it again; a new occurrence does. Dismissing a closed notice changes nothing. Audited.',
  })
  @ApiOkResponse({ type: NoticeDetailDto })
  @problem(404, 'No such notice in this account and mode')
  dismiss(@CurrentCaller() caller: AccountCaller, @Param('id', UuidParam) id: string) {
    return this.notices.dismiss(caller, id);
  }
}
